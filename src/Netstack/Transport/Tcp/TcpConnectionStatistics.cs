namespace Netstack.Transport.Tcp;

/// <summary>A snapshot of one connection's state and counters (the analog of Linux's <c>TCP_INFO</c>).</summary>
public readonly record struct TcpConnectionStatistics
{
    /// <summary>The connection's state.</summary>
    public TcpState State { get; init; }

    /// <summary>Smoothed round-trip time (RFC 6298 SRTT).</summary>
    public TimeSpan SmoothedRtt { get; init; }

    /// <summary>Round-trip time variation (RFC 6298 RTTVAR).</summary>
    public TimeSpan RttVariance { get; init; }

    /// <summary>Smallest round-trip time measured.</summary>
    public TimeSpan MinRtt { get; init; }

    /// <summary>Current retransmission timeout (backoff included).</summary>
    public TimeSpan RetransmitTimeout { get; init; }

    /// <summary>Congestion window in bytes.</summary>
    public int CongestionWindow { get; init; }

    /// <summary>Slow-start threshold in bytes (int.MaxValue before the first loss).</summary>
    public int SlowStartThreshold { get; init; }

    /// <summary>The congestion control in use.</summary>
    public CongestionControlAlgorithm CongestionControl { get; init; }

    /// <summary>Payload bytes per segment we send.</summary>
    public int SendMss { get; init; }

    /// <summary>The MSS we announced.</summary>
    public int ReceiveMss { get; init; }

    /// <summary>The peer's current receive window in bytes.</summary>
    public int PeerWindow { get; init; }

    /// <summary>Bytes sent and not yet acknowledged.</summary>
    public int BytesInFlight { get; init; }

    /// <summary>Bytes in the send buffer (unsent plus unacknowledged).</summary>
    public int SendQueueLength { get; init; }

    /// <summary>Bytes received and not yet read by the application.</summary>
    public int ReceiveQueueLength { get; init; }

    /// <summary>
    /// Memory pinned by received data, in-order and out-of-order: the capacity of the chunks it is held in
    /// (Linux's <c>skmem</c> rmem_alloc). Bounded by twice the receive buffer plus 64 KiB.
    /// </summary>
    public int ReceiveMemory { get; init; }

    /// <summary>Payload bytes sent, retransmissions not included.</summary>
    public long BytesSent { get; init; }

    /// <summary>Payload bytes acknowledged by the peer.</summary>
    public long BytesAcked { get; init; }

    /// <summary>Payload bytes received in order.</summary>
    public long BytesReceived { get; init; }

    /// <summary>Segments sent (a GSO packet counts once).</summary>
    public long SegmentsSent { get; init; }

    /// <summary>Segments received.</summary>
    public long SegmentsReceived { get; init; }

    /// <summary>Segments retransmitted.</summary>
    public long Retransmits { get; init; }

    /// <summary>Retransmission timer expiries.</summary>
    public long Timeouts { get; init; }

    /// <summary>Fast recovery episodes.</summary>
    public long FastRecoveries { get; init; }

    /// <summary>SACK was negotiated.</summary>
    public bool SackEnabled { get; init; }

    /// <summary>Timestamps were negotiated.</summary>
    public bool TimestampsEnabled { get; init; }

    /// <summary>Our window shift (0 without window scaling).</summary>
    public int ReceiveWindowScale { get; init; }

    /// <summary>The peer's window shift (0 without window scaling).</summary>
    public int SendWindowScale { get; init; }
}
