namespace Netstack.Link.FdBased;

/// <summary>Why the link layer dropped a packet; each has its own counter in <see cref="LinkStatistics"/>.</summary>
public enum DropReason
{
    /// <summary>An Ethernet frame shorter than its 14-byte header.</summary>
    Runt,
    /// <summary>An Ethernet frame to another host's unicast MAC.</summary>
    OtherHost,
    /// <summary>Without Ethernet: neither IPv4 nor IPv6 by the version nibble.</summary>
    UnknownProtocol,
    /// <summary>The packet was larger than the receive buffer or ring frame (MSG_TRUNC, <c>tp_snaplen &lt; tp_len</c>).</summary>
    Truncated,
    /// <summary>Host GSO is on and the read was shorter than the virtio-net header.</summary>
    ShortVirtioHeader,
    /// <summary>A datagram with no bytes (after the virtio-net header, if any).</summary>
    Empty,
    /// <summary>The network dispatcher threw while handling the packet.</summary>
    DispatcherFault,
    /// <summary>Injected while no dispatcher was attached.</summary>
    NotAttached,
    /// <summary>An outbound packet with no bytes at all: nothing to put on the wire.</summary>
    EmptyOutbound,
}
