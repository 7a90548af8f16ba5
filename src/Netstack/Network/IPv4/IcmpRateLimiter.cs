using Netstack.Stack.Timers;

namespace Netstack.Network.IPv4;

/// <summary>
/// A token bucket for ICMP errors (RFC 1812 4.3.2.8, Linux <c>icmp_global_allow</c>): <c>rate</c> tokens
/// a second up to <c>burst</c>, one per error. Time comes from the stack's wheel, so tests drive it.
/// </summary>
internal sealed class IcmpRateLimiter
{
    private readonly Lock _gate = new();
    private readonly TimerWheel _clock;
    private readonly double _perMillisecond;
    private readonly double _burst;
    private double _tokens;
    private long _last;

    public IcmpRateLimiter(TimerWheel clock, int perSecond, int burst)
    {
        _clock = clock;
        _perMillisecond = perSecond / 1000.0;
        _burst = burst;
        _tokens = burst;
        _last = clock.NowMilliseconds;
    }

    /// <summary>Takes a token; false when the bucket is empty (the error is not sent).</summary>
    public bool TryTake()
    {
        if (_perMillisecond == 0)
        {
            return true;
        }
        lock (_gate)
        {
            long now = _clock.NowMilliseconds;
            _tokens = Math.Min(_burst, _tokens + (now - _last) * _perMillisecond);
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
