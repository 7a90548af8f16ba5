namespace Netstack.Stack.Timers;

/// <summary>
/// A hashed timer wheel (Varghese and Lauck): arming, re-arming and cancelling are O(1), which matters
/// because TCP re-arms its retransmission timer on nearly every ACK. One wheel serves a whole stack.
/// It needs no thread of its own: a single <see cref="ITimer"/> from the <see cref="TimeProvider"/> wakes
/// it at the next due time, so tests drive it deterministically with a fake time provider.
/// </summary>
public sealed class TimerWheel : IDisposable
{
    private const int SlotCount = 4096; // power of two
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly double _ticksPerTimestamp;
    private readonly WheelTimer?[] _slots = new WheelTimer?[SlotCount];
    private readonly Lock _gate = new();
    private readonly ITimer _wakeup;
    [ThreadStatic]
    private static List<WheelTimer>? t_due;
    private long _processedTick;
    private long _wakeTick = long.MaxValue;
    private int _count;
    private bool _disposed;
    private long _callbackFaults;

    /// <summary>Creates a wheel with 1 ms resolution driven by <paramref name="time"/> (the system clock if null).</summary>
    public TimerWheel(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _startTimestamp = _time.GetTimestamp();
        _ticksPerTimestamp = 1000.0 / _time.TimestampFrequency;
        _wakeup = _time.CreateTimer(static s => ((TimerWheel)s!).OnWakeup(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The time source.</summary>
    public TimeProvider Time => _time;

    /// <summary>Milliseconds since the wheel was created (monotonic).</summary>
    public long NowMilliseconds => (long)((_time.GetTimestamp() - _startTimestamp) * _ticksPerTimestamp);

    /// <summary>Timer callbacks that threw (caught and counted: each is a bug, or a timer re-armed after Dispose).</summary>
    public long CallbackFaults => Interlocked.Read(ref _callbackFaults);

    /// <summary>Raised (on the timer thread) with the exception when a timer callback threw.</summary>
    public event Action<Exception>? CallbackFault;

    /// <summary>Number of armed timers.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    internal void Schedule(WheelTimer timer, TimeSpan delay)
    {
        long delayTicks = delay <= TimeSpan.Zero ? 1 : Math.Max(1, (long)Math.Ceiling(delay.TotalMilliseconds));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (timer.Slot >= 0)
            {
                Unlink(timer);
            }
            // Never schedule into a slot that has already been swept.
            long due = Math.Max(NowMilliseconds, _processedTick) + delayTicks;
            timer.DueTick = due;
            Link(timer, (int)(due & (SlotCount - 1)));
            if (due < _wakeTick)
            {
                Arm(due);
            }
        }
    }

    internal void Cancel(WheelTimer timer)
    {
        lock (_gate)
        {
            if (timer.Slot >= 0)
            {
                Unlink(timer);
            }
        }
    }

    /// <summary>Stops the wheel; armed timers never fire.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }
        _wakeup.Dispose();
    }

    private void OnWakeup()
    {
        var due = t_due ??= new List<WheelTimer>();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            long now = NowMilliseconds;
            // Sweep every slot between the last processed tick and now (at most one full turn).
            long from = Math.Max(_processedTick + 1, now - SlotCount + 1);
            for (long tick = from; tick <= now; tick++)
            {
                var t = _slots[tick & (SlotCount - 1)];
                while (t is not null)
                {
                    var nextInSlot = t.Next;
                    if (t.DueTick <= now)
                    {
                        Unlink(t);
                        due.Add(t);
                    }
                    t = nextInSlot;
                }
            }
            _processedTick = now;
            _wakeTick = long.MaxValue;
            long next = NextDueTick(now);
            if (next != long.MaxValue)
            {
                Arm(next);
            }
        }
        // Callbacks run outside the lock: they re-arm timers. One that throws (a bug, or Schedule on a wheel
        // disposed while the callback was due) must neither kill the timer thread, which would end the process,
        // nor keep the other due timers from firing.
        try
        {
            foreach (var t in due)
            {
                try
                {
                    t.Fire();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Interlocked.Increment(ref _callbackFaults);
                    ReportFault(e);
                }
            }
        }
        finally
        {
            due.Clear();
        }
    }

    private void ReportFault(Exception e)
    {
        try
        {
            CallbackFault?.Invoke(e);
        }
        catch (Exception) when (e is not OutOfMemoryException)
        {
            // A handler that throws has been counted already; it must not end the timer thread either.
        }
    }

    // The earliest due tick after `now`, scanning one turn of the wheel; long.MaxValue when empty.
    private long NextDueTick(long now)
    {
        if (_count == 0)
        {
            return long.MaxValue;
        }
        long best = long.MaxValue;
        for (long tick = now + 1; tick <= now + SlotCount; tick++)
        {
            for (var t = _slots[tick & (SlotCount - 1)]; t is not null; t = t.Next)
            {
                best = Math.Min(best, t.DueTick);
            }
            if (best <= tick)
            {
                return best;
            }
        }
        return best;
    }

    // Called under the lock, so the programmed wake-up always matches _wakeTick.
    private void Arm(long dueTick)
    {
        _wakeTick = dueTick;
        long delay = Math.Max(1, dueTick - NowMilliseconds);
        try
        {
            _wakeup.Change(TimeSpan.FromMilliseconds(delay), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: nothing more will fire, as Dispose promises.
        }
    }

    private void Link(WheelTimer timer, int slot)
    {
        var head = _slots[slot];
        timer.Previous = null;
        timer.Next = head;
        if (head is not null)
        {
            head.Previous = timer;
        }
        _slots[slot] = timer;
        timer.Slot = slot;
        _count++;
    }

    private void Unlink(WheelTimer timer)
    {
        if (timer.Previous is not null)
        {
            timer.Previous.Next = timer.Next;
        }
        else
        {
            _slots[timer.Slot] = timer.Next;
        }
        if (timer.Next is not null)
        {
            timer.Next.Previous = timer.Previous;
        }
        timer.Previous = null;
        timer.Next = null;
        timer.Slot = -1;
        _count--;
    }
}
