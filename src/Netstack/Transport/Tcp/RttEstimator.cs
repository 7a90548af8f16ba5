namespace Netstack.Transport.Tcp;

/// <summary>
/// Smoothed round-trip time and retransmission timeout (RFC 6298) in microseconds. The timeout is
/// <c>SRTT + max(4 * RTTVAR, MinRto)</c>, Linux's form of the RFC 6298 rule: with the 200 ms floor
/// added to SRTT rather than applied to the sum, a path with a long RTT still gets its variance margin.
/// Backoff doubles the timeout after each expiry (RFC 6298 5.5) up to <c>MaxRto</c>.
/// </summary>
internal sealed class RttEstimator
{
    private const long ClockGranularityUs = 1000;
    private readonly long _minRtoUs;
    private readonly long _maxRtoUs;
    private long _baseRtoUs;

    public RttEstimator(TimeSpan minRto, TimeSpan maxRto, TimeSpan initialRto)
    {
        _minRtoUs = (long)minRto.TotalMicroseconds;
        _maxRtoUs = (long)maxRto.TotalMicroseconds;
        _baseRtoUs = Math.Clamp((long)initialRto.TotalMicroseconds, _minRtoUs, _maxRtoUs);
    }

    /// <summary>True once a measurement was taken.</summary>
    public bool HasSample { get; private set; }

    /// <summary>Smoothed RTT (0 before the first sample).</summary>
    public long SmoothedUs { get; private set; }

    /// <summary>RTT variation (0 before the first sample).</summary>
    public long VarianceUs { get; private set; }

    /// <summary>The latest sample.</summary>
    public long LatestUs { get; private set; }

    /// <summary>The smallest sample seen.</summary>
    public long MinimumUs { get; private set; } = long.MaxValue;

    /// <summary>Number of expiries since the last forward progress (RFC 6298 5.5 backoff exponent).</summary>
    public int Backoff { get; private set; }

    /// <summary>The current timeout, backoff included.</summary>
    public long RtoUs => Backoff == 0 ? _baseRtoUs : Math.Min(_maxRtoUs, _baseRtoUs << Math.Min(Backoff, 30));

    /// <summary>The timeout without backoff.</summary>
    public long BaseRtoUs => _baseRtoUs;

    /// <summary>The current timeout as a <see cref="TimeSpan"/>.</summary>
    public TimeSpan Rto => TimeSpan.FromMicroseconds(RtoUs);

    /// <summary>Adds a measurement (RFC 6298 2.2, 2.3).</summary>
    public void AddSample(long rttUs)
    {
        rttUs = Math.Max(rttUs, 1);
        LatestUs = rttUs;
        MinimumUs = Math.Min(MinimumUs, rttUs);
        if (!HasSample)
        {
            HasSample = true;
            SmoothedUs = rttUs;
            VarianceUs = rttUs / 2;
        }
        else
        {
            long delta = Math.Abs(SmoothedUs - rttUs);
            VarianceUs = VarianceUs - (VarianceUs >> 2) + (delta >> 2);
            SmoothedUs = SmoothedUs - (SmoothedUs >> 3) + (rttUs >> 3);
        }
        long margin = Math.Max(Math.Max(ClockGranularityUs, 4 * VarianceUs), _minRtoUs);
        _baseRtoUs = Math.Clamp(SmoothedUs + margin, _minRtoUs, _maxRtoUs);
    }

    /// <summary>Doubles the timeout (after an expiry).</summary>
    public void BackOff()
    {
        if (RtoUs < _maxRtoUs)
        {
            Backoff++;
        }
    }

    /// <summary>Forgets the backoff (new data was acknowledged).</summary>
    public void ResetBackoff() => Backoff = 0;

    /// <summary>
    /// RFC 6298 5.7: when the SYN or SYN-ACK had to be retransmitted and no sample was taken, the timeout for
    /// the data phase starts at 3 seconds.
    /// </summary>
    public void UseConservativeInitialRto()
    {
        if (!HasSample)
        {
            _baseRtoUs = Math.Clamp(3_000_000, _minRtoUs, _maxRtoUs);
        }
    }
}
