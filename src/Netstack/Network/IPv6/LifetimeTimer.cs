using Netstack.Stack.Timers;

namespace Netstack.Network.IPv6;

/// <summary>
/// A deadline measured in the seconds NDP lifetimes use (up to 136 years, or infinite). The wheel timer
/// underneath is armed at most <see cref="MaxStepMs"/> ahead and re-armed until the deadline, so no
/// lifetime overflows a platform timer. The owner's callback runs on the wheel's thread and must check
/// <see cref="HasExpired"/> under its own lock: a renewal may have raced with the firing.
/// </summary>
internal sealed class LifetimeTimer
{
    /// <summary>The lifetime value that means forever (RFC 4861 section 4.6.2).</summary>
    public const uint Infinite = uint.MaxValue;

    private const long MaxStepMs = 12 * 3600 * 1000L;

    private readonly TimerWheel _wheel;
    private readonly WheelTimer _timer;
    private readonly Action _onDue;
    private long _deadline = long.MaxValue;

    public LifetimeTimer(TimerWheel wheel, Action onDue)
    {
        _wheel = wheel;
        _onDue = onDue;
        _timer = new WheelTimer(wheel, static s => ((LifetimeTimer)s!).Fire(), this);
    }

    /// <summary>Milliseconds left; <see cref="long.MaxValue"/> when infinite or unset.</summary>
    public long RemainingMs
    {
        get
        {
            long deadline = Volatile.Read(ref _deadline);
            return deadline == long.MaxValue ? long.MaxValue : Math.Max(0, deadline - _wheel.NowMilliseconds);
        }
    }

    /// <summary>True once the deadline has passed.</summary>
    public bool HasExpired
    {
        get
        {
            long deadline = Volatile.Read(ref _deadline);
            return deadline != long.MaxValue && _wheel.NowMilliseconds >= deadline;
        }
    }

    /// <summary>Sets the deadline <paramref name="seconds"/> from now (<see cref="Infinite"/>: never).</summary>
    public void SetSeconds(uint seconds)
    {
        if (seconds == Infinite)
        {
            Cancel();
            return;
        }
        Volatile.Write(ref _deadline, _wheel.NowMilliseconds + seconds * 1000L);
        Arm();
    }

    /// <summary>Clears the deadline.</summary>
    public void Cancel()
    {
        Volatile.Write(ref _deadline, long.MaxValue);
        _timer.Cancel();
    }

    /// <summary>Re-arms towards the deadline (after a callback found it had not passed yet).</summary>
    public void Arm()
    {
        long remaining = RemainingMs;
        if (remaining != long.MaxValue)
        {
            _timer.Schedule(TimeSpan.FromMilliseconds(Math.Min(remaining, MaxStepMs)));
        }
    }

    private void Fire()
    {
        if (Volatile.Read(ref _deadline) == long.MaxValue)
        {
            return;
        }
        if (!HasExpired)
        {
            Arm();
            return;
        }
        _onDue();
    }
}
