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

    [Fact]
    public void ACallbackThatThrowsIsCountedAndTheOtherDueTimersStillFire()
    {
        // Found by review: an exception from one callback left the timer thread (ending the process) and dropped
        // every other timer due in the same sweep. A callback that re-arms its timer while the stack is being
        // disposed throws ObjectDisposedException, so the window is real.
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time);
        var faults = new List<Exception>();
        wheel.CallbackFault += faults.Add;
        int fired = 0;
        var first = new WheelTimer(wheel, _ => throw new InvalidOperationException("bug"));
        var second = new WheelTimer(wheel, _ => fired++);
        first.Schedule(TimeSpan.FromMilliseconds(10));
        second.Schedule(TimeSpan.FromMilliseconds(10));
        time.Advance(TimeSpan.FromMilliseconds(20));
        Assert.Equal(1, fired);
        Assert.Equal(1, wheel.CallbackFaults);
        Assert.IsType<InvalidOperationException>(Assert.Single(faults));
        // The wheel keeps working.
        second.Schedule(TimeSpan.FromMilliseconds(10));
        time.Advance(TimeSpan.FromMilliseconds(20));
        Assert.Equal(2, fired);
    }

    [Fact]
    public void ReArmingWhileTheStackIsDisposedIsCountedNotThrown()
    {
        var time = new FakeTimeProvider();
        var stack = new Netstack.Stack.NetworkStack(new Netstack.Stack.StackOptions { TimeProvider = time });
        var faults = new List<Exception>();
        stack.TimerFault += faults.Add;
        var timer = new WheelTimer(stack.Timers, _ =>
        {
            stack.Dispose();
            new WheelTimer(stack.Timers, _ => { }).Schedule(TimeSpan.FromSeconds(1));
        });
        timer.Schedule(TimeSpan.FromMilliseconds(5));
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.IsType<ObjectDisposedException>(Assert.Single(faults));
        Assert.Equal(1, stack.Stats.TimerFaults.Value);
    }
}
