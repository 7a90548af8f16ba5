namespace Netstack.Transport.Tcp;

/// <summary>
/// Stack-wide TCP settings (the analog of Linux's <c>net.ipv4.tcp_*</c> sysctls). Per-connection settings
/// (Nagle, keepalive, buffer sizes, congestion control) are in <see cref="TcpConnectionSettings"/>.
/// </summary>
public sealed record TcpProtocolOptions
{
    /// <summary>How long a connection stays in TIME-WAIT (2*MSL); Linux uses 60 s.</summary>
    public TimeSpan TimeWaitDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an orphaned connection (closed by the application) waits in FIN-WAIT-2 (Linux's <c>tcp_fin_timeout</c>).</summary>
    public TimeSpan FinWait2Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Smallest retransmission timeout (Linux: 200 ms; RFC 6298 suggests 1 s).</summary>
    public TimeSpan MinRetransmitTimeout { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Largest retransmission timeout (Linux: 120 s).</summary>
    public TimeSpan MaxRetransmitTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Timeout before the first RTT measurement (RFC 6298: 1 s).</summary>
    public TimeSpan InitialRetransmitTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>SYN retransmissions before a connect fails with a timeout (Linux's <c>tcp_syn_retries</c>: 6, about 127 s).</summary>
    public int SynRetries { get; init; } = 6;

    /// <summary>SYN-ACK retransmissions before a half-open connection is dropped (Linux's <c>tcp_synack_retries</c>: 5).</summary>
    public int SynAckRetries { get; init; } = 5;

    /// <summary>Data retransmissions before the connection is dropped (Linux's <c>tcp_retries2</c>: 15).</summary>
    public int MaxRetransmits { get; init; } = 15;

    /// <summary>Longest delay of an acknowledgment (RFC 9293 allows 500 ms; Linux uses 40 ms to 200 ms).</summary>
    public TimeSpan DelayedAckTimeout { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Offer and use selective acknowledgments (RFC 2018).</summary>
    public bool Sack { get; init; } = true;

    /// <summary>Offer and use timestamps (RFC 7323).</summary>
    public bool Timestamps { get; init; } = true;

    /// <summary>Offer and use window scaling (RFC 7323).</summary>
    public bool WindowScaling { get; init; } = true;

    /// <summary>When listeners answer with SYN cookies.</summary>
    public SynCookieMode SynCookies { get; init; } = SynCookieMode.OnOverflow;

    /// <summary>Most half-open connections per listener (Linux's <c>tcp_max_syn_backlog</c>); beyond it, SYN cookies.</summary>
    public int MaxSynBacklog { get; init; } = 1024;

    /// <summary>Shortest interval between challenge ACKs or other answers to invalid segments, per connection (Linux's <c>tcp_invalid_ratelimit</c>).</summary>
    public TimeSpan InvalidSegmentAckInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Initial congestion window in segments (RFC 6928: 10).</summary>
    public int InitialCongestionWindow { get; init; } = 10;

    /// <summary>Settings for new connections unless a connection is given its own.</summary>
    public TcpConnectionSettings DefaultConnectionSettings { get; init; } = new();

    /// <summary>Throws when a value is out of range, naming it.</summary>
    public void Validate()
    {
        Positive(TimeWaitDuration, nameof(TimeWaitDuration), allowZero: true);
        Positive(FinWait2Timeout, nameof(FinWait2Timeout), allowZero: false);
        Positive(MinRetransmitTimeout, nameof(MinRetransmitTimeout), allowZero: false);
        Positive(InitialRetransmitTimeout, nameof(InitialRetransmitTimeout), allowZero: false);
        Positive(DelayedAckTimeout, nameof(DelayedAckTimeout), allowZero: false);
        Positive(InvalidSegmentAckInterval, nameof(InvalidSegmentAckInterval), allowZero: true);
        if (MaxRetransmitTimeout < MinRetransmitTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetransmitTimeout), MaxRetransmitTimeout, "MaxRetransmitTimeout must be at least MinRetransmitTimeout.");
        }
        Range(SynRetries, 1, 64, nameof(SynRetries));
        Range(SynAckRetries, 1, 64, nameof(SynAckRetries));
        Range(MaxRetransmits, 1, 64, nameof(MaxRetransmits));
        Range(MaxSynBacklog, 1, 1 << 20, nameof(MaxSynBacklog));
        Range(InitialCongestionWindow, 1, 1000, nameof(InitialCongestionWindow));
        ArgumentNullException.ThrowIfNull(DefaultConnectionSettings, nameof(DefaultConnectionSettings));
        DefaultConnectionSettings.Validate();
        if (!Enum.IsDefined(SynCookies))
        {
            throw new ArgumentOutOfRangeException(nameof(SynCookies), SynCookies, "SynCookies must be OnOverflow, Always or Never.");
        }
    }

    internal static void Positive(TimeSpan value, string name, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {(allowZero ? "zero or more" : "more than zero")}.");
        }
    }

    internal static void Range(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {min}..{max}.");
        }
    }
}
