using Microsoft.Extensions.Time.Testing;
using Netstack.Stack.Timers;

namespace Netstack.Tests.Stack;

public class TimerWheelTests
{
    [Fact]
    public void FiresAtItsDueTimeAndNotBefore()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time);
        int fired = 0;
        var timer = new WheelTimer(wheel, _ => fired++);
        timer.Schedule(TimeSpan.FromMilliseconds(200));
        time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.Equal(0, fired);
        time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal(1, fired);
        Assert.False(timer.IsScheduled);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void RescheduleReplacesAndCancelStops()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time);
        int fired = 0;
        var timer = new WheelTimer(wheel, _ => fired++);
        timer.Schedule(TimeSpan.FromMilliseconds(100));
        timer.Schedule(TimeSpan.FromMilliseconds(300));
        time.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Equal(0, fired);
        timer.Cancel();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, fired);
    }

    [Fact]
    public void TimersBeyondOneTurnOfTheWheelWaitForTheirRound()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time);
        var order = new List<int>();
        var longTimer = new WheelTimer(wheel, _ => order.Add(60));
        var shortTimer = new WheelTimer(wheel, _ => order.Add(1));
        longTimer.Schedule(TimeSpan.FromSeconds(60));
        shortTimer.Schedule(TimeSpan.FromSeconds(1));
        for (int i = 0; i < 59; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal([1], order);
        time.Advance(TimeSpan.FromSeconds(1.01));
        Assert.Equal([1, 60], order);
    }

    [Fact]
    public void ACallbackMayRearmItself()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time);
        int fired = 0;
        WheelTimer? timer = null;
        timer = new WheelTimer(wheel, _ =>
        {
            if (++fired < 3)
            {
                timer!.Schedule(TimeSpan.FromMilliseconds(10));
            }
        });
        timer.Schedule(TimeSpan.FromMilliseconds(10));
        for (int i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(11));
        }
        Assert.Equal(3, fired);
    }

    [Fact]
    public async Task RunsOnTheSystemClock()
    {
        using var wheel = new TimerWheel();
        var done = new TaskCompletionSource();
        new WheelTimer(wheel, _ => done.TrySetResult()).Schedule(TimeSpan.FromMilliseconds(20));
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
