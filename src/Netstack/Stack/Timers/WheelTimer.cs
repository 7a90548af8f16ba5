namespace Netstack.Stack.Timers;

/// <summary>
/// One reusable timer on a <see cref="TimerWheel"/>: created once per purpose (a connection's retransmit
/// timer, a neighbour entry's probe timer) and re-armed as often as needed without allocating.
/// The callback runs on the wheel's timer thread; it must be short and must not throw.
/// </summary>
public sealed class WheelTimer
{
    private readonly Action<object?> _callback;
    private readonly object? _state;

    internal WheelTimer? Previous;
    internal WheelTimer? Next;
    internal long DueTick;
    internal int Slot = -1;

    /// <summary>Creates a timer on <paramref name="wheel"/> that calls <paramref name="callback"/> with <paramref name="state"/>.</summary>
    public WheelTimer(TimerWheel wheel, Action<object?> callback, object? state = null)
    {
        Wheel = wheel ?? throw new ArgumentNullException(nameof(wheel));
        _callback = callback ?? throw new ArgumentNullException(nameof(callback));
        _state = state;
    }

    /// <summary>The wheel this timer runs on.</summary>
    public TimerWheel Wheel { get; }

    /// <summary>True while armed and not yet fired.</summary>
    public bool IsScheduled => Slot >= 0;

    /// <summary>Arms the timer to fire after <paramref name="delay"/>, replacing any earlier schedule.</summary>
    public void Schedule(TimeSpan delay) => Wheel.Schedule(this, delay);

    /// <summary>Disarms the timer; it does not fire unless re-armed. A callback already running is not interrupted.</summary>
    public void Cancel() => Wheel.Cancel(this);

    internal void Fire() => _callback(_state);
}
