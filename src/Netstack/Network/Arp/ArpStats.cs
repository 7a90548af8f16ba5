using Netstack.Stack.Counters;

namespace Netstack.Network.Arp;

/// <summary>Counters of ARP: requests and replies each way, drops by reason.</summary>
public sealed class ArpStats : CounterGroup
{
    internal ArpStats()
        : base("arp")
    {
        PacketsReceived = Create("packets_received");
        RequestsReceived = Create("requests_received");
        RepliesReceived = Create("replies_received");
        RequestsNotForUs = Create("requests_not_for_us");
        RequestsSent = Create("requests_sent");
        RepliesSent = Create("replies_sent");
        AnnouncementsSent = Create("announcements_sent");
        DroppedTruncated = Create("drop_truncated");
        DroppedBadHardware = Create("drop_bad_hardware_type");
        DroppedBadProtocol = Create("drop_bad_protocol_type");
        DroppedBadOpcode = Create("drop_bad_opcode");
        DroppedBadSender = Create("drop_bad_sender");
        AddressConflicts = Create("address_conflicts");
        SolicitationsWithoutSource = Create("drop_solicitation_no_source");
        SendErrors = Create("send_errors");
    }

    /// <summary>ARP packets received.</summary>
    public Counter PacketsReceived { get; }

    /// <summary>Requests received.</summary>
    public Counter RequestsReceived { get; }

    /// <summary>Replies received.</summary>
    public Counter RepliesReceived { get; }

    /// <summary>Requests for addresses that are not ours (learned from only to refresh an existing entry).</summary>
    public Counter RequestsNotForUs { get; }

    /// <summary>Requests sent (resolution and probes).</summary>
    public Counter RequestsSent { get; }

    /// <summary>Replies sent.</summary>
    public Counter RepliesSent { get; }

    /// <summary>Gratuitous announcements sent.</summary>
    public Counter AnnouncementsSent { get; }

    /// <summary>Packets shorter than an Ethernet/IPv4 ARP packet.</summary>
    public Counter DroppedTruncated { get; }

    /// <summary>Packets whose hardware type or length is not Ethernet.</summary>
    public Counter DroppedBadHardware { get; }

    /// <summary>Packets whose protocol type or length is not IPv4.</summary>
    public Counter DroppedBadProtocol { get; }

    /// <summary>Packets that are neither request nor reply.</summary>
    public Counter DroppedBadOpcode { get; }

    /// <summary>Packets whose sender is a group MAC, our own MAC, or a multicast, broadcast or loopback address.</summary>
    public Counter DroppedBadSender { get; }

    /// <summary>Packets from another machine claiming one of our addresses.</summary>
    public Counter AddressConflicts { get; }

    /// <summary>Resolutions that could not start because the NIC has no IPv4 address to send from.</summary>
    public Counter SolicitationsWithoutSource { get; }

    /// <summary>ARP packets the link refused.</summary>
    public Counter SendErrors { get; }
}
