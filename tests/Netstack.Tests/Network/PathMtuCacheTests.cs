using Microsoft.Extensions.Time.Testing;
using Netstack.Network;
using Netstack.Stack.Timers;

namespace Netstack.Tests.Network;

public sealed class PathMtuCacheTests : IDisposable
{
    private static readonly Address A = Address.Parse("192.0.2.1");
    private static readonly Address B = Address.Parse("192.0.2.2");
    private static readonly Address C = Address.Parse("192.0.2.3");

    private readonly FakeTimeProvider _time = new();
    private readonly TimerWheel _wheel;

    public PathMtuCacheTests() => _wheel = new TimerWheel(_time);

    public void Dispose() => _wheel.Dispose();

    [Theory]
    [InlineData(68, 40, 68)]
    [InlineData(1280, 1000, 1280)]
    [InlineData(1280, 1400, 1400)]
    public void AReportIsNeverTakenBelowTheProtocolsFloor(int floor, int reported, int expected)
    {
        var cache = new PathMtuCache(_wheel, floor, TimeSpan.FromMinutes(10), 16);
        Assert.True(cache.Lower(A, reported, 1500, out int mtu));
        Assert.Equal(expected, mtu);
        Assert.Equal(expected, cache.Get(A, 1500));
        Assert.Equal(expected, cache.Learned(A));
    }

    [Fact]
    public void AReportNeverRaisesTheEstimate()
    {
        var cache = new PathMtuCache(_wheel, 68, TimeSpan.FromMinutes(10), 16);
        Assert.False(cache.Lower(A, 1500, 1500, out int mtu));
        Assert.Equal(1500, mtu);
        Assert.Equal(0, cache.Count);
        Assert.True(cache.Lower(A, 1300, 1500, out _));
        // A later, larger report (two reports racing arrive in either order) leaves the smaller in force.
        Assert.False(cache.Lower(A, 1400, 1500, out mtu));
        Assert.Equal(1300, mtu);
        Assert.Equal(1300, cache.Get(A, 1500));
        // A smaller ceiling (the link shrank) wins over what was learned.
        Assert.Equal(1200, cache.Get(A, 1200));
    }

    [Fact]
    public void EntriesExpire()
    {
        var cache = new PathMtuCache(_wheel, 68, TimeSpan.FromMinutes(10), 16);
        cache.Lower(A, 1000, 1500, out _);
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(1000, cache.Get(A, 1500));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1500, cache.Get(A, 1500));
        Assert.Equal(0, cache.Learned(A));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void WhenFullTheEntryClosestToExpiryGoes()
    {
        var cache = new PathMtuCache(_wheel, 68, TimeSpan.FromMinutes(10), 2);
        cache.Lower(A, 1000, 1500, out _);
        _time.Advance(TimeSpan.FromSeconds(1));
        cache.Lower(B, 1000, 1500, out _);
        _time.Advance(TimeSpan.FromSeconds(1));
        cache.Lower(C, 1000, 1500, out _);
        Assert.Equal(2, cache.Count);
        Assert.Equal(0, cache.Learned(A));
        Assert.Equal(1000, cache.Learned(B));
        Assert.Equal(1000, cache.Learned(C));
    }
}
