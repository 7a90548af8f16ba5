namespace Netstack.Stack;

/// <summary>What became of a packet handed to <see cref="NetworkStack.DeliverTransportPacket"/>.</summary>
public enum TransportDelivery
{
    /// <summary>An endpoint took it (or, for multicast/broadcast, every matching endpoint).</summary>
    Delivered,
    /// <summary>No endpoint matched; the transport answered it (RST, or an ICMP port unreachable was sent).</summary>
    Unmatched,
    /// <summary>The transport protocol is not run here: the network layer answers with protocol unreachable.</summary>
    UnknownProtocol,
    /// <summary>Dropped (malformed) and counted.</summary>
    Dropped,
}
