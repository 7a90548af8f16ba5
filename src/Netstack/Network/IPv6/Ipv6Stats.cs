using Netstack.Stack.Counters;

namespace Netstack.Network.IPv6;

/// <summary>Counters of the IPv6 layer: traffic, fragmentation and every reason a packet is dropped.</summary>
public sealed class Ipv6Stats : CounterGroup
{
    internal Ipv6Stats()
        : base("ipv6")
    {
        PacketsReceived = Create("packets_received");
        PacketsDelivered = Create("packets_delivered");
        PacketsSent = Create("packets_sent");
        FragmentsSent = Create("fragments_sent");
        PacketsFragmented = Create("packets_fragmented");
        FragmentsReceived = Create("fragments_received");
        PacketsReassembled = Create("packets_reassembled");
        AtomicFragments = Create("atomic_fragments");
        ReassemblyTimeouts = Create("reassembly_timeouts");
        SendErrors = Create("send_errors");
        DroppedTooShort = Create("drop_too_short");
        DroppedBadVersion = Create("drop_bad_version");
        DroppedBadPayloadLength = Create("drop_bad_payload_length");
        DroppedMulticastSource = Create("drop_multicast_source");
        DroppedBadAddress = Create("drop_bad_address");
        DroppedUnspecifiedSource = Create("drop_unspecified_source");
        DroppedNotForUs = Create("drop_not_for_us");
        DroppedTentativeDestination = Create("drop_tentative_destination");
        DroppedTruncatedExtensionHeader = Create("drop_truncated_extension_header");
        DroppedTooManyExtensionHeaders = Create("drop_too_many_extension_headers");
        DroppedHopByHopNotFirst = Create("drop_hop_by_hop_not_first");
        DroppedUnknownOption = Create("drop_unknown_option");
        DroppedMalformedOption = Create("drop_malformed_option");
        DroppedBadPadding = Create("drop_bad_padding");
        DroppedTooManyOptions = Create("drop_too_many_options");
        DroppedRoutingHeader = Create("drop_routing_header");
        DroppedUnknownNextHeader = Create("drop_unknown_next_header");
        DroppedNoNextHeader = Create("drop_no_next_header");
        DroppedFragmentBadLength = Create("drop_fragment_bad_length");
        DroppedFragmentTooBig = Create("drop_fragment_too_big");
        DroppedFragmentIncompleteChain = Create("drop_fragment_incomplete_chain");
        DroppedFragmentOverlap = Create("drop_fragment_overlap");
        DroppedFragmentDuplicate = Create("drop_fragment_duplicate");
        DroppedFragmentInconsistentEnd = Create("drop_fragment_inconsistent_end");
        DroppedFragmentOfDiscardedPacket = Create("drop_fragment_of_discarded_packet");
        DroppedTooManyFragments = Create("drop_too_many_fragments");
        DroppedNestedFragment = Create("drop_nested_fragment");
        ReassembliesEvicted = Create("reassemblies_evicted");
        DroppedSendTooBig = Create("drop_send_too_big");
    }

    /// <summary>Packets the link delivered to IPv6.</summary>
    public Counter PacketsReceived { get; }

    /// <summary>Packets handed to a transport protocol or to ICMPv6.</summary>
    public Counter PacketsDelivered { get; }

    /// <summary>Packets (and fragments) handed to a NIC or looped back.</summary>
    public Counter PacketsSent { get; }

    /// <summary>Fragments created on send.</summary>
    public Counter FragmentsSent { get; }

    /// <summary>Packets that were fragmented on send.</summary>
    public Counter PacketsFragmented { get; }

    /// <summary>Fragments received (not counting atomic fragments).</summary>
    public Counter FragmentsReceived { get; }

    /// <summary>Packets reassembled from fragments.</summary>
    public Counter PacketsReassembled { get; }

    /// <summary>Atomic fragments (offset 0, no more fragments) processed as whole packets (RFC 6946).</summary>
    public Counter AtomicFragments { get; }

    /// <summary>Incomplete packets dropped when their reassembly time ran out.</summary>
    public Counter ReassemblyTimeouts { get; }

    /// <summary>Packets the NIC refused to send.</summary>
    public Counter SendErrors { get; }

    /// <summary>Shorter than the 40-byte header.</summary>
    public Counter DroppedTooShort { get; }

    /// <summary>Version field not 6.</summary>
    public Counter DroppedBadVersion { get; }

    /// <summary>Payload length larger than what arrived.</summary>
    public Counter DroppedBadPayloadLength { get; }

    /// <summary>Multicast source address.</summary>
    public Counter DroppedMulticastSource { get; }

    /// <summary>Addresses that must not appear on the wire: loopback, IPv4-mapped, multicast with reserved or interface-local scope.</summary>
    public Counter DroppedBadAddress { get; }

    /// <summary>Unspecified source on a packet other than ICMPv6 (only NDP may use ::).</summary>
    public Counter DroppedUnspecifiedSource { get; }

    /// <summary>Destination neither an address of the NIC nor a group it joined (this host does not forward).</summary>
    public Counter DroppedNotForUs { get; }

    /// <summary>Destination is an address still tentative (or found duplicate) under DAD.</summary>
    public Counter DroppedTentativeDestination { get; }

    /// <summary>An extension header runs past the end of the packet.</summary>
    public Counter DroppedTruncatedExtensionHeader { get; }

    /// <summary>More extension headers than <see cref="Ipv6Options.MaxExtensionHeaders"/>.</summary>
    public Counter DroppedTooManyExtensionHeaders { get; }

    /// <summary>Hop-by-hop options header anywhere but right after the IPv6 header (Parameter Problem code 1 sent).</summary>
    public Counter DroppedHopByHopNotFirst { get; }

    /// <summary>An unrecognised option whose type says discard (Parameter Problem code 2 sent when the type asks for it).</summary>
    public Counter DroppedUnknownOption { get; }

    /// <summary>An option runs past the end of its header.</summary>
    public Counter DroppedMalformedOption { get; }

    /// <summary>Padding longer than 7 bytes in a row or PadN with non-zero data (RFC 4942 section 2.1.9.5).</summary>
    public Counter DroppedBadPadding { get; }

    /// <summary>More than 8 non-padding options in one header.</summary>
    public Counter DroppedTooManyOptions { get; }

    /// <summary>Routing header with segments left (this host does not forward; Parameter Problem code 0 sent).</summary>
    public Counter DroppedRoutingHeader { get; }

    /// <summary>Next Header names no protocol this stack runs (Parameter Problem code 1 sent).</summary>
    public Counter DroppedUnknownNextHeader { get; }

    /// <summary>No Next Header (59): nothing to deliver.</summary>
    public Counter DroppedNoNextHeader { get; }

    /// <summary>Fragment with M set whose length is not a positive multiple of 8 (Parameter Problem code 0 sent).</summary>
    public Counter DroppedFragmentBadLength { get; }

    /// <summary>Fragment whose end would make the packet longer than 65,535 bytes (Parameter Problem code 0 sent).</summary>
    public Counter DroppedFragmentTooBig { get; }

    /// <summary>First fragment without the whole header chain (RFC 7112; Parameter Problem code 3 sent).</summary>
    public Counter DroppedFragmentIncompleteChain { get; }

    /// <summary>Overlapping fragments: the whole packet is discarded (RFC 5722).</summary>
    public Counter DroppedFragmentOverlap { get; }

    /// <summary>Exact duplicates of a fragment already held (RFC 8200 section 4.5).</summary>
    public Counter DroppedFragmentDuplicate { get; }

    /// <summary>Fragments that disagree on where the packet ends: the whole packet is discarded.</summary>
    public Counter DroppedFragmentInconsistentEnd { get; }

    /// <summary>Fragments of a packet already discarded (overlap, inconsistency), until its timeout.</summary>
    public Counter DroppedFragmentOfDiscardedPacket { get; }

    /// <summary>Packets that arrived in more than <see cref="Ipv6Options.MaxFragmentsPerPacket"/> fragments.</summary>
    public Counter DroppedTooManyFragments { get; }

    /// <summary>A fragment header inside a reassembled packet.</summary>
    public Counter DroppedNestedFragment { get; }

    /// <summary>Incomplete packets dropped to stay within the memory or count limits.</summary>
    public Counter ReassembliesEvicted { get; }

    /// <summary>Packets above the path MTU that may not be fragmented, or larger than IPv6 allows.</summary>
    public Counter DroppedSendTooBig { get; }
}
