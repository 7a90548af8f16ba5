using System.Diagnostics;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// A real clock run <see cref="Factor"/> times faster, whose timers fire on a thread of their own (concurrently
/// with everything else, as production timers do). For concurrency tests: a
/// <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/> advanced from one thread while others arm
/// timers is not thread-safe (its <c>Change</c> may run due callbacks inline, on a thread holding stack locks,
/// which no real timer does), and thread-pool timers starve when the test host's own blocked threads and a busy
/// machine keep the pool from growing.
/// </summary>
internal sealed class AcceleratedTimeProvider : TimeProvider, IDisposable
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly DateTimeOffset _epoch = DateTimeOffset.UtcNow;
    private readonly List<Timer> _timers = new();
    private readonly Thread _thread;
    private bool _disposed;

    public AcceleratedTimeProvider(int factor)
    {
        Factor = factor;
        _thread = new Thread(Run) { IsBackground = true, Name = "accelerated-timers" };
        _thread.Start();
    }

    public int Factor { get; }

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => _start + (Stopwatch.GetTimestamp() - _start) * Factor;

    public override DateTimeOffset GetUtcNow() => _epoch + GetElapsedTime(_start, GetTimestamp());

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        lock (_timers)
        {
            _timers.Add(timer);
        }
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Real time that lets <paramref name="span"/> of this clock pass.</summary>
    public TimeSpan Scale(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero ? span : TimeSpan.FromTicks(Math.Max(1, span.Ticks / Factor));

    public void Dispose()
    {
        lock (_timers)
        {
            _disposed = true;
            Monitor.PulseAll(_timers);
        }
        _thread.Join();
    }

    // Sleeps until the earliest timer is due (in this clock's time), then fires every due timer outside the lock.
    private void Run()
    {
        var due = new List<Timer>();
        while (true)
        {
            lock (_timers)
            {
                while (true)
                {
                    if (_disposed)
                    {
                        return;
                    }
                    long now = GetTimestamp();
                    long next = long.MaxValue;
                    foreach (var t in _timers)
                    {
                        if (t.DueAt <= now)
                        {
                            t.DueAt = t.Period > 0 ? now + t.Period : long.MaxValue;
                            due.Add(t);
                        }
                        else
                        {
                            next = Math.Min(next, t.DueAt);
                        }
                    }
                    if (due.Count > 0)
                    {
                        break;
                    }
                    int waitMs = next == long.MaxValue ? Timeout.Infinite
                        : (int)Math.Clamp((next - now) / Factor * 1000 / Stopwatch.Frequency, 0, 1000);
                    Monitor.Wait(_timers, waitMs);
                }
            }
            foreach (var t in due)
            {
                t.Fire();
            }
            due.Clear();
        }
    }

    private sealed class Timer(AcceleratedTimeProvider clock, TimerCallback callback, object? state) : ITimer
    {
        // In this clock's timestamps; long.MaxValue when disarmed.
        public long DueAt = long.MaxValue;
        public long Period;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._timers)
            {
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? long.MaxValue
                    : clock.GetTimestamp() + (long)(Math.Max(0, dueTime.TotalSeconds) * Stopwatch.Frequency);
                Period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : (long)(period.TotalSeconds * Stopwatch.Frequency);
                Monitor.PulseAll(clock._timers);
            }
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._timers)
            {
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
