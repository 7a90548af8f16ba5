using Netstack.Stack.Counters;

namespace Netstack.Transport.Tcp;

/// <summary>TCP counters for a whole stack (the analog of Linux's <c>TcpExt</c> and SNMP TCP MIB).</summary>
public sealed class TcpStats : CounterGroup
{
    internal TcpStats()
        : base("tcp")
    {
        SegmentsReceived = Create("segments_received");
        SegmentsSent = Create("segments_sent");
        Retransmits = Create("retransmits");
        FastRecoveries = Create("fast_recoveries");
        Timeouts = Create("timeouts");
        ActiveOpens = Create("active_opens");
        PassiveOpens = Create("passive_opens");
        FailedConnects = Create("failed_connects");
        ResetsReceived = Create("resets_received");
        ResetsSent = Create("resets_sent");
        ChallengeAcks = Create("challenge_acks");
        RateLimitedAnswers = Create("rate_limited_answers");
        SynCookiesSent = Create("syn_cookies_sent");
        SynCookiesValid = Create("syn_cookies_valid");
        SynCookiesInvalid = Create("syn_cookies_invalid");
        ListenOverflows = Create("listen_overflows");
        SynQueueDrops = Create("syn_queue_drops");
        KeepaliveTimeouts = Create("keepalive_timeouts");
        DroppedMalformed = Create("drop_malformed_header");
        DroppedBadChecksum = Create("drop_bad_checksum");
        DroppedOutOfWindow = Create("drop_out_of_window");
        DroppedPaws = Create("drop_paws");
        DroppedAckUnsent = Create("drop_ack_unsent_data");
        DroppedOldAck = Create("drop_ack_too_old");
        DroppedOutOfOrderFull = Create("drop_out_of_order_full");
        DroppedOutOfOrderMemory = Create("drop_out_of_order_memory");
        DroppedReceiveMemory = Create("drop_receive_memory");
        ReceiveCollapsed = Create("receive_collapsed");
        OutOfOrderPruned = Create("out_of_order_pruned");
        DroppedNoAck = Create("drop_no_ack_flag");
        DroppedInvalidFlags = Create("drop_invalid_flags");
        DroppedNotUnicast = Create("drop_not_unicast");
        DroppedIcmpOutOfWindow = Create("drop_icmp_out_of_window");
        DroppedClosed = Create("drop_closed_endpoint");
        DroppedLocalCongestion = Create("drop_local_send_failure");
        InternalErrors = Create("internal_errors");
        Backlogged = Create("backlogged");
        TimeWaits = Create("time_waits");
        TimeWaitTakeovers = Create("time_wait_takeovers");
        DroppedBacklogFull = Create("drop_backlog_full");
    }

    /// <summary>Segments handed to TCP with a valid header and checksum.</summary>
    public Counter SegmentsReceived { get; }

    /// <summary>Segments sent (a GSO packet counts once).</summary>
    public Counter SegmentsSent { get; }

    /// <summary>Segments retransmitted.</summary>
    public Counter Retransmits { get; }

    /// <summary>Fast retransmit / SACK loss recovery episodes.</summary>
    public Counter FastRecoveries { get; }

    /// <summary>Retransmission timer expiries.</summary>
    public Counter Timeouts { get; }

    /// <summary>Connections opened by this host (SYN sent).</summary>
    public Counter ActiveOpens { get; }

    /// <summary>Connections accepted by listeners (SYN-ACK sent).</summary>
    public Counter PassiveOpens { get; }

    /// <summary>Connection attempts that failed (refused, timed out, unreachable).</summary>
    public Counter FailedConnects { get; }

    /// <summary>Acceptable RSTs received.</summary>
    public Counter ResetsReceived { get; }

    /// <summary>RSTs sent.</summary>
    public Counter ResetsSent { get; }

    /// <summary>Challenge ACKs sent (RFC 5961).</summary>
    public Counter ChallengeAcks { get; }

    /// <summary>Answers to invalid or old segments (challenge ACKs, duplicate SYN-ACKs) held back by the per-connection rate limit.</summary>
    public Counter RateLimitedAnswers { get; }

    /// <summary>SYN-ACKs sent with a SYN cookie.</summary>
    public Counter SynCookiesSent { get; }

    /// <summary>ACKs that carried a valid SYN cookie (connection created).</summary>
    public Counter SynCookiesValid { get; }

    /// <summary>ACKs to a listener whose cookie did not verify.</summary>
    public Counter SynCookiesInvalid { get; }

    /// <summary>Handshakes dropped because the accept queue was full.</summary>
    public Counter ListenOverflows { get; }

    /// <summary>SYNs dropped because the SYN queue was full and cookies are off.</summary>
    public Counter SynQueueDrops { get; }

    /// <summary>Connections dropped because keepalive probes went unanswered.</summary>
    public Counter KeepaliveTimeouts { get; }

    /// <summary>Segments with a malformed header.</summary>
    public Counter DroppedMalformed { get; }

    /// <summary>Segments with a bad checksum.</summary>
    public Counter DroppedBadChecksum { get; }

    /// <summary>Segments outside the receive window.</summary>
    public Counter DroppedOutOfWindow { get; }

    /// <summary>Segments rejected by PAWS (RFC 7323 section 5).</summary>
    public Counter DroppedPaws { get; }

    /// <summary>Segments acknowledging data not yet sent.</summary>
    public Counter DroppedAckUnsent { get; }

    /// <summary>Segments acknowledging data older than the window allows (RFC 5961 section 5).</summary>
    public Counter DroppedOldAck { get; }

    /// <summary>Out-of-order segments dropped because the queue was full.</summary>
    public Counter DroppedOutOfOrderFull { get; }

    /// <summary>Out-of-order segments dropped because the connection's receive memory was used up (Linux's <c>TCPOFODrop</c>).</summary>
    public Counter DroppedOutOfOrderMemory { get; }

    /// <summary>In-order segments dropped because the connection's receive memory was used up (Linux's <c>TCPRcvQDrop</c>).</summary>
    public Counter DroppedReceiveMemory { get; }

    /// <summary>Queued pieces copied out of mostly empty chunks into compact ones to free receive memory (Linux's <c>TCPRcvCollapsed</c>).</summary>
    public Counter ReceiveCollapsed { get; }

    /// <summary>Out-of-order pieces dropped from the top to free receive memory (Linux's <c>OfoPruned</c>; SACKed data reneged).</summary>
    public Counter OutOfOrderPruned { get; }

    /// <summary>Segments without ACK in a synchronized state.</summary>
    public Counter DroppedNoAck { get; }

    /// <summary>Segments with a combination of flags that makes no sense (for example SYN with RST).</summary>
    public Counter DroppedInvalidFlags { get; }

    /// <summary>Segments sent to a broadcast or multicast address (RFC 1122 4.2.3.10: TCP is unicast only).</summary>
    public Counter DroppedNotUnicast { get; }

    /// <summary>ICMP errors ignored because the sequence number they quote is not in flight (RFC 5927 4.1).</summary>
    public Counter DroppedIcmpOutOfWindow { get; }

    /// <summary>Segments for a connection that had just closed.</summary>
    public Counter DroppedClosed { get; }

    /// <summary>Segments the link could not take (they are sent again later).</summary>
    public Counter DroppedLocalCongestion { get; }

    /// <summary>Connections aborted because of an internal error (a bug; see <see cref="TcpProtocol.InternalError"/>).</summary>
    public Counter InternalErrors { get; }

    /// <summary>Segments and errors queued for a connection whose lock another thread held (run by that thread).</summary>
    public Counter Backlogged { get; }

    /// <summary>Segments dropped because a connection's backlog was full (Linux's <c>TCPBacklogDrop</c>).</summary>
    public Counter DroppedBacklogFull { get; }

    /// <summary>Connections that entered TIME-WAIT (held by a compact endpoint).</summary>
    public Counter TimeWaits { get; }

    /// <summary>TIME-WAIT states ended early by a new connection's SYN (RFC 6191).</summary>
    public Counter TimeWaitTakeovers { get; }
}
