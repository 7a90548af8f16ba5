using Netstack.Stack.Counters;

namespace Netstack.Transport.Udp;

/// <summary>Counters of the UDP protocol of one stack: datagrams in and out, and drops by reason.</summary>
public sealed class UdpStats : CounterGroup
{
    internal UdpStats()
        : base("udp")
    {
        DatagramsReceived = Create("datagrams_received");
        DatagramsSent = Create("datagrams_sent");
        DroppedTruncatedHeader = Create("drop_truncated_header");
        DroppedBadLength = Create("drop_bad_length");
        DroppedBadChecksum = Create("drop_bad_checksum");
        DroppedZeroChecksumIPv6 = Create("drop_zero_checksum_ipv6");
        DroppedReceiveBufferFull = Create("drop_receive_buffer_full");
        DroppedEndpointClosed = Create("drop_endpoint_closed");
        DroppedWrongNic = Create("drop_wrong_nic");
        NoPort = Create("drop_no_port");
        SendErrors = Create("send_errors");
        SendNoBufferSpace = Create("send_no_buffer_space");
        IcmpErrorsReported = Create("icmp_errors_reported");
        IcmpErrorsIgnored = Create("icmp_errors_ignored");
    }

    /// <summary>Datagrams queued for (or handed to) a socket.</summary>
    public Counter DatagramsReceived { get; }

    /// <summary>Datagrams handed to the network layer.</summary>
    public Counter DatagramsSent { get; }

    /// <summary>Packets shorter than the 8-byte UDP header.</summary>
    public Counter DroppedTruncatedHeader { get; }

    /// <summary>Packets whose length field is below 8 or beyond the bytes received.</summary>
    public Counter DroppedBadLength { get; }

    /// <summary>Packets whose checksum did not verify.</summary>
    public Counter DroppedBadChecksum { get; }

    /// <summary>IPv6 packets with a zero checksum, which RFC 8200 section 8.1 forbids.</summary>
    public Counter DroppedZeroChecksumIPv6 { get; }

    /// <summary>Datagrams dropped because the socket's receive buffer was full.</summary>
    public Counter DroppedReceiveBufferFull { get; }

    /// <summary>Datagrams that reached a socket as it closed.</summary>
    public Counter DroppedEndpointClosed { get; }

    /// <summary>Datagrams that arrived on a NIC other than the one the socket is bound to.</summary>
    public Counter DroppedWrongNic { get; }

    /// <summary>Valid unicast datagrams to a port with no socket (answered with ICMP port unreachable).</summary>
    public Counter NoPort { get; }

    /// <summary>Sends that failed in the network or link layer (no route, neighbour unreachable, ...).</summary>
    public Counter SendErrors { get; }

    /// <summary>Datagrams the link had no room for; like Linux without IP_RECVERR, the send still reports success.</summary>
    public Counter SendNoBufferSpace { get; }

    /// <summary>ICMP errors reported to a connected socket (ConnectionRefused and the like).</summary>
    public Counter IcmpErrorsReported { get; }

    /// <summary>ICMP errors about our datagrams that no connected socket takes (Linux ignores them too).</summary>
    public Counter IcmpErrorsIgnored { get; }
}
