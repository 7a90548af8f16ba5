namespace Netstack.Network;

/// <summary>
/// A token bucket for the ICMP errors one IP protocol sends (RFC 1812 section 4.3.2.8, RFC 4443 section
/// 2.4 (f); Linux's <c>icmp_msgs_per_sec</c> / <c>icmp_msgs_burst</c>): <c>perSecond</c> tokens a second, at
/// most <c>burst</c> saved up, one per error. IPv4 and IPv6 each have their own (see ARCHITECTURE.md).
/// Time comes from the stack's clock, so tests drive it with a fake one.
/// </summary>
internal sealed class IcmpRateLimiter
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly double _tokensPerTimestamp;
    private readonly double _burst;
    private readonly bool _unlimited;
    private double _tokens;
    private long _last;

    /// <param name="time">The stack's clock.</param>
    /// <param name="perSecond">Refill rate; 0 means no limit.</param>
    /// <param name="burst">Bucket size, and the tokens it starts with.</param>
    public IcmpRateLimiter(TimeProvider time, int perSecond, int burst)
    {
        _time = time;
        _tokensPerTimestamp = perSecond / (double)time.TimestampFrequency;
        _burst = burst;
        _tokens = burst;
        _last = time.GetTimestamp();
        _unlimited = perSecond == 0;
    }

    /// <summary>Takes a token; false when none is left (the error is not sent).</summary>
    public bool TryTake()
    {
        if (_unlimited)
        {
            return true;
        }
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (now - _last) * _tokensPerTimestamp);
            _last = now;
            if (_tokens < 1)
            {
                return false;
            }
            _tokens -= 1;
            return true;
        }
    }
}
