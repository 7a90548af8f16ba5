namespace Netstack;

/// <summary>How a received frame was addressed at the link layer (as <c>sll_pkttype</c>).</summary>
public enum PacketType : byte
{
    /// <summary>To this host (or no link header to tell).</summary>
    Host,
    /// <summary>To the link's broadcast address.</summary>
    Broadcast,
    /// <summary>To a link multicast group.</summary>
    Multicast,
    /// <summary>To another host's unicast address.</summary>
    OtherHost,
    /// <summary>Sent by this host (seen by a sniffer).</summary>
    Outgoing,
    /// <summary>Sent by this host to itself and looped back by the stack (Linux's PACKET_LOOPBACK).</summary>
    Loopback,
}
