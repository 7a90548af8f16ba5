using Microsoft.Extensions.Time.Testing;
using Netstack.Network;
using Netstack.Stack.Timers;

namespace Netstack.Tests.Network;

/// <summary>
/// A full path MTU cache evicts the entry closest to expiry in constant time (found by the resource tests: the
/// scan of a full 4,096-entry table made each forged fragmentation-needed / Packet Too Big cost 6-38 us of CPU;
/// the cost is measured in <c>HostileInputBenchmarks</c>). These tests pin down which entry goes.
/// </summary>
public sealed class PathMtuCacheEvictionTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly TimerWheel _wheel;

    public PathMtuCacheEvictionTests() => _wheel = new TimerWheel(_time);

    public void Dispose() => _wheel.Dispose();

    [Fact]
    public void ANewReportForAKnownDestinationMakesItTheLastToGo()
    {
        var cache = new PathMtuCache(_wheel, 68, TimeSpan.FromMinutes(10), 3);
        Assert.True(cache.Lower(A(1), 1000, 1500, out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(cache.Lower(A(2), 1000, 1500, out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(cache.Lower(A(3), 1000, 1500, out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(cache.Lower(A(1), 900, 1500, out _));
        Assert.True(cache.Lower(A(4), 1000, 1500, out _));
        Assert.Equal(3, cache.Count);
        Assert.Equal(0, cache.Learned(A(2)));
        Assert.Equal(900, cache.Learned(A(1)));
        Assert.Equal(1000, cache.Learned(A(3)));
        Assert.Equal(1000, cache.Learned(A(4)));
    }

    [Fact]
    public void ExpiredEntriesLeaveOnLookupAndMakeRoom()
    {
        var cache = new PathMtuCache(_wheel, 1280, TimeSpan.FromMinutes(10), 3);
        for (int i = 1; i <= 3; i++)
        {
            Assert.True(cache.Lower(A(i), 1280, 1500, out _));
        }
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(0, cache.Learned(A(2)));
        Assert.Equal(2, cache.Count);
        Assert.True(cache.Lower(A(5), 1280, 1500, out _));
        Assert.True(cache.Lower(A(6), 1280, 1500, out _));
        Assert.Equal(3, cache.Count);
        Assert.Equal(1280, cache.Learned(A(5)));
        Assert.Equal(1280, cache.Learned(A(6)));
        // Filling past the capacity again evicts in order: A(1) and A(3) expired first.
        Assert.True(cache.Lower(A(7), 1280, 1500, out _));
        Assert.Equal(3, cache.Count);
        Assert.Equal(1280, cache.Learned(A(7)));
    }

    private static Address A(int i) => Address.V4(192, 0, 2, (byte)i);
}
