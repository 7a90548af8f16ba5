using Netstack.Buffers;

namespace Netstack.Stack;

/// <summary>An IP network protocol (IPv4 or IPv6): the layer that transport protocols send through.</summary>
public interface IIPProtocol : INetworkProtocol
{
    /// <summary>Address length of the family, 4 or 16.</summary>
    int AddressLength { get; }

    /// <summary>Largest network header (with options/extension headers) this protocol adds, in bytes.</summary>
    int MaxHeaderLength { get; }

    /// <summary>
    /// Adds the network header to each packet (the transport header and data are in place), fragments
    /// where the packet exceeds the route's MTU and fragmentation is allowed, and hands the result to the
    /// NIC. The caller keeps ownership of the packets. Returns how many were sent and the error for the
    /// first that was not.
    /// </summary>
    WriteResult WritePackets(Route route, ReadOnlySpan<PacketBuffer> packets, NetworkHeaderParams parameters);

    /// <summary>The path MTU towards <paramref name="destination"/> (link MTU if nothing smaller was learned).</summary>
    int PathMtu(Nic nic, Address destination);

    /// <summary>Chooses the source address for traffic to <paramref name="destination"/> out of <paramref name="nic"/> (empty if none fits).</summary>
    Address SelectSourceAddress(Nic nic, Address destination);

    /// <summary>
    /// Sends the ICMP error that answers <paramref name="offending"/> (a received packet whose network
    /// header is consumed), subject to the protocol's rules and rate limit.
    /// </summary>
    void SendIcmpError(Nic nic, PacketBuffer offending, IcmpErrorKind kind);
}
