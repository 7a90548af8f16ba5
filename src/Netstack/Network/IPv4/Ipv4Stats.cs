using Netstack.Stack.Counters;

namespace Netstack.Network.IPv4;

/// <summary>Counters of the IPv4 layer: traffic, drops by reason, fragmentation and reassembly.</summary>
public sealed class Ipv4Stats : CounterGroup
{
    internal Ipv4Stats()
        : base("ipv4")
    {
        PacketsReceived = Create("packets_received");
        PacketsDelivered = Create("packets_delivered");
        DroppedOtherHost = Create("drop_other_host");
        DroppedTruncated = Create("drop_truncated");
        DroppedBadVersion = Create("drop_bad_version");
        DroppedBadHeaderLength = Create("drop_bad_header_length");
        DroppedBadTotalLength = Create("drop_bad_total_length");
        DroppedBadChecksum = Create("drop_bad_checksum");
        DroppedBadSource = Create("drop_bad_source");
        DroppedBadOptions = Create("drop_bad_options");
        DroppedSourceRoute = Create("drop_source_route");
        DroppedNotForUs = Create("drop_not_for_us");
        UnknownProtocol = Create("drop_unknown_protocol");
        FragmentsReceived = Create("fragments_received");
        Reassembled = Create("reassembled");
        DroppedFragmentZeroLength = Create("drop_fragment_zero_length");
        DroppedFragmentBadLength = Create("drop_fragment_not_multiple_of_8");
        DroppedFragmentTooBig = Create("drop_fragment_too_big");
        DroppedFragmentTiny = Create("drop_fragment_tiny");
        DroppedFragmentDuplicate = Create("drop_fragment_duplicate");
        DroppedFragmentOverlap = Create("drop_reassembly_overlap");
        DroppedFragmentInconsistent = Create("drop_reassembly_inconsistent_end");
        DroppedTooManyFragments = Create("drop_reassembly_too_many_fragments");
        ReassemblyTimeouts = Create("drop_reassembly_timeout");
        ReassemblyEvicted = Create("drop_reassembly_evicted");
        PacketsSent = Create("packets_sent");
        FragmentsSent = Create("fragments_sent");
        SendTooBig = Create("send_message_too_long");
        SendErrors = Create("send_errors");
        PathMtuLowered = Create("path_mtu_lowered");
    }

    /// <summary>Packets the link handed to IPv4.</summary>
    public Counter PacketsReceived { get; }

    /// <summary>Datagrams (whole or reassembled) handed to ICMP or a transport.</summary>
    public Counter PacketsDelivered { get; }

    /// <summary>Frames the link saw addressed to another host (promiscuous capture).</summary>
    public Counter DroppedOtherHost { get; }

    /// <summary>Packets shorter than a header.</summary>
    public Counter DroppedTruncated { get; }

    /// <summary>Packets whose version is not 4.</summary>
    public Counter DroppedBadVersion { get; }

    /// <summary>Packets with IHL below 5 or beyond the total length.</summary>
    public Counter DroppedBadHeaderLength { get; }

    /// <summary>Packets whose total length exceeds what was received.</summary>
    public Counter DroppedBadTotalLength { get; }

    /// <summary>Packets whose header checksum does not verify.</summary>
    public Counter DroppedBadChecksum { get; }

    /// <summary>Packets from a multicast, broadcast or loopback source (martians).</summary>
    public Counter DroppedBadSource { get; }

    /// <summary>Packets with malformed options.</summary>
    public Counter DroppedBadOptions { get; }

    /// <summary>Packets with a source route option (refused, as Linux's default <c>accept_source_route=0</c>).</summary>
    public Counter DroppedSourceRoute { get; }

    /// <summary>Packets for an address that is not this NIC's (this stack does not forward).</summary>
    public Counter DroppedNotForUs { get; }

    /// <summary>Datagrams for a transport protocol the stack does not run (answered with protocol unreachable).</summary>
    public Counter UnknownProtocol { get; }

    /// <summary>Fragments received.</summary>
    public Counter FragmentsReceived { get; }

    /// <summary>Datagrams reassembled from fragments.</summary>
    public Counter Reassembled { get; }

    /// <summary>Fragments without data.</summary>
    public Counter DroppedFragmentZeroLength { get; }

    /// <summary>Fragments with MF set whose length is not a multiple of 8.</summary>
    public Counter DroppedFragmentBadLength { get; }

    /// <summary>Fragments that reach past 65,535 bytes (ping of death); the datagram is dropped.</summary>
    public Counter DroppedFragmentTooBig { get; }

    /// <summary>First fragments too short to hold the transport header (RFC 1858 tiny fragments).</summary>
    public Counter DroppedFragmentTiny { get; }

    /// <summary>Exact duplicates of a fragment already held (the copy is dropped, the datagram kept).</summary>
    public Counter DroppedFragmentDuplicate { get; }

    /// <summary>Datagrams dropped because two fragments overlapped.</summary>
    public Counter DroppedFragmentOverlap { get; }

    /// <summary>Datagrams dropped because fragments disagreed about where the datagram ends.</summary>
    public Counter DroppedFragmentInconsistent { get; }

    /// <summary>Datagrams dropped for arriving in more fragments than allowed.</summary>
    public Counter DroppedTooManyFragments { get; }

    /// <summary>Datagrams dropped because reassembly timed out.</summary>
    public Counter ReassemblyTimeouts { get; }

    /// <summary>Incomplete datagrams evicted for memory or count limits.</summary>
    public Counter ReassemblyEvicted { get; }

    /// <summary>Datagrams handed to the link (or looped back).</summary>
    public Counter PacketsSent { get; }

    /// <summary>Fragments created on send.</summary>
    public Counter FragmentsSent { get; }

    /// <summary>Sends refused: larger than the path MTU with DF set, or larger than 65,535 bytes.</summary>
    public Counter SendTooBig { get; }

    /// <summary>Packets the NIC or the link refused.</summary>
    public Counter SendErrors { get; }

    /// <summary>Path MTU reductions learned from ICMP fragmentation-needed messages.</summary>
    public Counter PathMtuLowered { get; }
}
