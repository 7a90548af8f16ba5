namespace Netstack.Transport.Udp;

/// <summary>Where a received datagram came from and how it reached us.</summary>
/// <param name="Remote">The sender's address and port; <see cref="FullAddress.NicId"/> is set for an IPv6 link-local sender (its scope).</param>
/// <param name="LocalAddress">The datagram's destination address: one of ours, a broadcast or a multicast group (IP_PKTINFO's <c>ipi_addr</c>).</param>
/// <param name="NicId">The NIC it arrived on.</param>
public readonly record struct UdpDatagramInfo(FullAddress Remote, Address LocalAddress, int NicId);
