using Netstack.Stack.Counters;

namespace Netstack.Network.IPv4;

/// <summary>Counters of ICMPv4: messages by type, drops by reason, errors sent and suppressed.</summary>
public sealed class Icmpv4Stats : CounterGroup
{
    internal Icmpv4Stats()
        : base("icmpv4")
    {
        Received = Create("received");
        DroppedTruncated = Create("drop_truncated");
        DroppedBadChecksum = Create("drop_bad_checksum");
        EchoRequestsReceived = Create("echo_requests_received");
        EchoRepliesSent = Create("echo_replies_sent");
        EchoIgnoredBroadcast = Create("echo_ignored_broadcast");
        EchoRepliesReceived = Create("echo_replies_received");
        DestinationUnreachableReceived = Create("destination_unreachable_received");
        TimeExceededReceived = Create("time_exceeded_received");
        ParameterProblemReceived = Create("parameter_problem_received");
        Ignored = Create("ignored");
        ErrorsDelivered = Create("errors_delivered");
        ErrorsWithoutEndpoint = Create("errors_without_endpoint");
        DroppedErrorMalformed = Create("drop_error_malformed");
        DroppedErrorNotOurs = Create("drop_error_not_ours");
        DroppedBadMtu = Create("drop_frag_needed_bad_mtu");
        ErrorsSent = Create("errors_sent");
        ErrorsSuppressed = Create("errors_suppressed");
        ErrorsRateLimited = Create("errors_rate_limited");
        SendNoRoute = Create("send_no_route");
    }

    /// <summary>Messages received.</summary>
    public Counter Received { get; }

    /// <summary>Messages shorter than their header.</summary>
    public Counter DroppedTruncated { get; }

    /// <summary>Messages whose checksum does not verify.</summary>
    public Counter DroppedBadChecksum { get; }

    /// <summary>Echo requests received.</summary>
    public Counter EchoRequestsReceived { get; }

    /// <summary>Echo replies sent.</summary>
    public Counter EchoRepliesSent { get; }

    /// <summary>Echo requests to a broadcast or multicast address left unanswered.</summary>
    public Counter EchoIgnoredBroadcast { get; }

    /// <summary>Echo replies received (there is no ping socket to take them).</summary>
    public Counter EchoRepliesReceived { get; }

    /// <summary>Destination unreachable messages received.</summary>
    public Counter DestinationUnreachableReceived { get; }

    /// <summary>Time exceeded messages received.</summary>
    public Counter TimeExceededReceived { get; }

    /// <summary>Parameter problem messages received.</summary>
    public Counter ParameterProblemReceived { get; }

    /// <summary>Messages of other types (source quench, redirect, timestamp, unknown), ignored.</summary>
    public Counter Ignored { get; }

    /// <summary>Received errors handed to the transport endpoint they concern.</summary>
    public Counter ErrorsDelivered { get; }

    /// <summary>Received errors about traffic no endpoint owns.</summary>
    public Counter ErrorsWithoutEndpoint { get; }

    /// <summary>Received errors whose quoted datagram is malformed or too short.</summary>
    public Counter DroppedErrorMalformed { get; }

    /// <summary>Received errors quoting a datagram this host did not send.</summary>
    public Counter DroppedErrorNotOurs { get; }

    /// <summary>Fragmentation-needed messages with an MTU below 68 (ignored, RFC 1191).</summary>
    public Counter DroppedBadMtu { get; }

    /// <summary>Errors sent.</summary>
    public Counter ErrorsSent { get; }

    /// <summary>Errors not sent because the rules forbid them (about an ICMP error, a broadcast, a fragment, a non-unicast source).</summary>
    public Counter ErrorsSuppressed { get; }

    /// <summary>Errors not sent because of the rate limit.</summary>
    public Counter ErrorsRateLimited { get; }

    /// <summary>Replies or errors not sent for lack of a route back.</summary>
    public Counter SendNoRoute { get; }
}
