namespace Netstack.Transport.Tcp;

/// <summary>
/// Per-connection TCP settings: the socket options a .NET developer knows (<c>NoDelay</c>, keepalive,
/// buffer sizes) plus the congestion control and the user timeout.
/// </summary>
public sealed record TcpConnectionSettings
{
    /// <summary>Smallest buffer size accepted.</summary>
    public const int MinBufferSize = 2048;

    /// <summary>Largest buffer size accepted (window scaling reaches 1 GiB).</summary>
    public const int MaxBufferSize = 1 << 30;

    /// <summary>Send small segments at once instead of waiting for outstanding data to be acknowledged (disables Nagle's algorithm).</summary>
    public bool NoDelay { get; init; }

    /// <summary>Probe an idle connection and drop it when the peer stops answering (off by default, as RFC 9293 says).</summary>
    public bool KeepAlive { get; init; }

    /// <summary>Idle time before the first keepalive probe (Linux: 2 hours).</summary>
    public TimeSpan KeepAliveTime { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Interval between unanswered keepalive probes (Linux: 75 s).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>Unanswered probes before the connection is dropped (Linux: 9).</summary>
    public int KeepAliveCount { get; init; } = 9;

    /// <summary>Bytes the connection buffers for sending (copied from the application, not yet acknowledged).</summary>
    public int SendBufferSize { get; init; } = 1 << 20;

    /// <summary>Bytes the connection buffers on receive; the window it advertises comes from the free part.</summary>
    public int ReceiveBufferSize { get; init; } = 1 << 20;

    /// <summary>The congestion control algorithm.</summary>
    public CongestionControlAlgorithm CongestionControl { get; init; } = CongestionControlAlgorithm.Cubic;

    /// <summary>
    /// Drop the connection when sent data stays unacknowledged this long (RFC 5482, Linux's
    /// <c>TCP_USER_TIMEOUT</c>); null leaves it to the retransmission limit.
    /// </summary>
    public TimeSpan? UserTimeout { get; init; }

    /// <summary>Throws when a value is out of range, naming it.</summary>
    public void Validate()
    {
        TcpProtocolOptions.Positive(KeepAliveTime, nameof(KeepAliveTime), allowZero: false);
        TcpProtocolOptions.Positive(KeepAliveInterval, nameof(KeepAliveInterval), allowZero: false);
        TcpProtocolOptions.Range(KeepAliveCount, 1, 127, nameof(KeepAliveCount));
        TcpProtocolOptions.Range(SendBufferSize, MinBufferSize, MaxBufferSize, nameof(SendBufferSize));
        TcpProtocolOptions.Range(ReceiveBufferSize, MinBufferSize, MaxBufferSize, nameof(ReceiveBufferSize));
        if (!Enum.IsDefined(CongestionControl))
        {
            throw new ArgumentOutOfRangeException(nameof(CongestionControl), CongestionControl, "CongestionControl must be Cubic or NewReno.");
        }
        if (UserTimeout is { } t)
        {
            TcpProtocolOptions.Positive(t, nameof(UserTimeout), allowZero: false);
        }
    }
}
