using Netstack.Stack.Counters;

namespace Netstack.Network.IPv6;

/// <summary>Counters of ICMPv6 (RFC 4443) and of neighbour discovery (RFC 4861, RFC 4862).</summary>
public sealed class Icmpv6Stats : CounterGroup
{
    internal Icmpv6Stats()
        : base("icmpv6")
    {
        MessagesReceived = Create("messages_received");
        EchoRequestsReceived = Create("echo_requests_received");
        EchoRepliesSent = Create("echo_replies_sent");
        EchoRepliesReceived = Create("echo_replies_received");
        EchoRepliesNotRouted = Create("echo_replies_not_routed");
        ErrorsReceived = Create("errors_received");
        PacketTooBigReceived = Create("packet_too_big_received");
        ErrorsSent = Create("errors_sent");
        ErrorsRateLimited = Create("errors_rate_limited");
        ErrorsSuppressed = Create("errors_suppressed");
        MulticastListenerIgnored = Create("mld_ignored");
        NeighborSolicitationsReceived = Create("ndp_ns_received");
        NeighborSolicitationsSent = Create("ndp_ns_sent");
        NeighborAdvertisementsReceived = Create("ndp_na_received");
        NeighborAdvertisementsSent = Create("ndp_na_sent");
        RouterSolicitationsSent = Create("ndp_rs_sent");
        RouterAdvertisementsReceived = Create("ndp_ra_received");
        DadSucceeded = Create("dad_succeeded");
        DadDuplicates = Create("dad_duplicates");
        DroppedTooShort = Create("drop_too_short");
        DroppedBadChecksum = Create("drop_bad_checksum");
        DroppedUnknownType = Create("drop_unknown_type");
        DroppedErrorNotOurs = Create("drop_error_not_ours");
        DroppedNdpHopLimit = Create("drop_ndp_hop_limit");
        DroppedNdpBadCode = Create("drop_ndp_bad_code");
        DroppedNdpBadOption = Create("drop_ndp_bad_option");
        DroppedNdpMulticastTarget = Create("drop_ndp_multicast_target");
        DroppedNdpBadDadSolicitation = Create("drop_ndp_bad_dad_solicitation");
        DroppedNdpSolicitedToMulticast = Create("drop_ndp_solicited_to_multicast");
        DroppedNdpRouterNotLinkLocal = Create("drop_ndp_router_not_link_local");
        DroppedNdpNotForUs = Create("drop_ndp_not_for_us");
        DroppedNdpNoSource = Create("drop_ndp_no_source_address");
        IgnoredRouterSolicitations = Create("ndp_rs_ignored");
        IgnoredRedirects = Create("ndp_redirect_ignored");
        AdvertisementsForOurAddress = Create("ndp_na_for_assigned_address");
    }

    /// <summary>ICMPv6 messages received (before validation).</summary>
    public Counter MessagesReceived { get; }

    /// <summary>Echo requests received.</summary>
    public Counter EchoRequestsReceived { get; }

    /// <summary>Echo replies sent.</summary>
    public Counter EchoRepliesSent { get; }

    /// <summary>Echo replies received.</summary>
    public Counter EchoRepliesReceived { get; }

    /// <summary>Echo requests not answered: no source address or no route back to the sender.</summary>
    public Counter EchoRepliesNotRouted { get; }

    /// <summary>Error messages received and handed to the transport they concern.</summary>
    public Counter ErrorsReceived { get; }

    /// <summary>Packet Too Big messages received.</summary>
    public Counter PacketTooBigReceived { get; }

    /// <summary>Error messages sent.</summary>
    public Counter ErrorsSent { get; }

    /// <summary>Errors not sent because the rate limit was reached.</summary>
    public Counter ErrorsRateLimited { get; }

    /// <summary>Errors not sent by the rules of RFC 4443 section 2.4 (e) (about an error, to multicast, from a non-unicast source) or for want of a route.</summary>
    public Counter ErrorsSuppressed { get; }

    /// <summary>MLD queries and reports (this host does not run MLD).</summary>
    public Counter MulticastListenerIgnored { get; }

    /// <summary>Valid neighbour solicitations received.</summary>
    public Counter NeighborSolicitationsReceived { get; }

    /// <summary>Neighbour solicitations sent (resolution, probes and DAD).</summary>
    public Counter NeighborSolicitationsSent { get; }

    /// <summary>Valid neighbour advertisements received.</summary>
    public Counter NeighborAdvertisementsReceived { get; }

    /// <summary>Neighbour advertisements sent.</summary>
    public Counter NeighborAdvertisementsSent { get; }

    /// <summary>Router solicitations sent.</summary>
    public Counter RouterSolicitationsSent { get; }

    /// <summary>Valid router advertisements received.</summary>
    public Counter RouterAdvertisementsReceived { get; }

    /// <summary>Addresses that passed duplicate address detection.</summary>
    public Counter DadSucceeded { get; }

    /// <summary>Addresses found to be duplicates (another node uses or claims them).</summary>
    public Counter DadDuplicates { get; }

    /// <summary>Messages shorter than their type requires.</summary>
    public Counter DroppedTooShort { get; }

    /// <summary>Bad checksum.</summary>
    public Counter DroppedBadChecksum { get; }

    /// <summary>Unknown informational or error types.</summary>
    public Counter DroppedUnknownType { get; }

    /// <summary>Errors about a packet this host did not send (spoofing protection).</summary>
    public Counter DroppedErrorNotOurs { get; }

    /// <summary>NDP messages with a hop limit other than 255 (RFC 4861 section 7.1).</summary>
    public Counter DroppedNdpHopLimit { get; }

    /// <summary>NDP messages with a code other than 0.</summary>
    public Counter DroppedNdpBadCode { get; }

    /// <summary>NDP messages with an option of length 0 or one running past the end.</summary>
    public Counter DroppedNdpBadOption { get; }

    /// <summary>Solicitations or advertisements for a multicast target.</summary>
    public Counter DroppedNdpMulticastTarget { get; }

    /// <summary>DAD solicitations (source ::) not sent to a solicited-node group or carrying a source link-layer address.</summary>
    public Counter DroppedNdpBadDadSolicitation { get; }

    /// <summary>Advertisements to a multicast address with the S flag.</summary>
    public Counter DroppedNdpSolicitedToMulticast { get; }

    /// <summary>Router advertisements or redirects from a source that is not link-local.</summary>
    public Counter DroppedNdpRouterNotLinkLocal { get; }

    /// <summary>Solicitations for an address this NIC does not have.</summary>
    public Counter DroppedNdpNotForUs { get; }

    /// <summary>Solicitations not sent because the NIC had no usable source address.</summary>
    public Counter DroppedNdpNoSource { get; }

    /// <summary>Router solicitations received (a host ignores them).</summary>
    public Counter IgnoredRouterSolicitations { get; }

    /// <summary>Redirects received (ignored: routes are the user's).</summary>
    public Counter IgnoredRedirects { get; }

    /// <summary>Advertisements from another node for an address assigned here (a conflict after DAD).</summary>
    public Counter AdvertisementsForOurAddress { get; }
}
