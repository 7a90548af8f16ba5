namespace Netstack.Network.IPv6;

/// <summary>
/// A token bucket for ICMP errors (RFC 4443 section 2.4 (f)): <c>rate</c> tokens a second, at most
/// <c>burst</c> saved up. Time comes from the stack's clock, so tests drive it with a fake one.
/// </summary>
internal sealed class IcmpRateLimiter
{
    private readonly TimeProvider _time;
    private readonly double _tokensPerTick;
    private readonly double _burst;
    private readonly Lock _gate = new();
    private double _tokens;
    private long _last;

    public IcmpRateLimiter(TimeProvider time, int perSecond, int burst)
    {
        _time = time;
        _tokensPerTick = perSecond / (double)time.TimestampFrequency;
        _burst = burst;
        _tokens = burst;
        _last = time.GetTimestamp();
        Unlimited = perSecond == 0;
    }

    private bool Unlimited { get; }

    /// <summary>Takes a token; false when none is left (the error is not sent).</summary>
    public bool TryAcquire()
    {
        if (Unlimited)
        {
            return true;
        }
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (now - _last) * _tokensPerTick);
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
