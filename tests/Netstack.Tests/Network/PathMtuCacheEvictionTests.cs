using Microsoft.Extensions.Time.Testing;
using Netstack.Stack.Timers;
using V4Cache = Netstack.Network.IPv4.PathMtuCache;
using V6Cache = Netstack.Network.IPv6.PathMtuCache;

namespace Netstack.Tests.Network;

/// <summary>
/// A full path MTU cache evicts the entry closest to expiry in constant time (found by the resource tests: the
/// scan of a full 4,096-entry table made each forged fragmentation-needed / Packet Too Big cost 50-190 us of CPU;
/// the cost is measured in <c>HostileInputBenchmarks</c>). These tests pin down which entry goes.
/// </summary>
public sealed class PathMtuCacheEvictionTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Ipv4FullCacheEvictsTheEntryClosestToExpiry()
    {
        using var wheel = new TimerWheel(_time);
        var cache = new V4Cache(wheel, TimeSpan.FromMinutes(10), capacity: 3);
        Assert.True(cache.Lower(A(1), 1000, 1500));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(cache.Lower(A(2), 1000, 1500));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(cache.Lower(A(3), 1000, 1500));
        _time.Advance(TimeSpan.FromSeconds(1));
        // A new report for A(1) refreshes it: A(2) is now the oldest.
        Assert.True(cache.Lower(A(1), 900, 1500));
        Assert.True(cache.Lower(A(4), 1000, 1500));
        Assert.Equal(3, cache.Count);
        Assert.Equal(1500, cache.Get(A(2), 1500));
        Assert.Equal(900, cache.Get(A(1), 1500));
        Assert.Equal(1000, cache.Get(A(3), 1500));
        Assert.Equal(1000, cache.Get(A(4), 1500));
        // Expired entries leave on lookup and make room.
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(1500, cache.Get(A(3), 1500));
        Assert.Equal(2, cache.Count);
        Assert.True(cache.Lower(A(5), 1000, 1500));
        Assert.True(cache.Lower(A(6), 1000, 1500));
        Assert.Equal(3, cache.Count);
        Assert.Equal(1000, cache.Get(A(5), 1500));
        Assert.Equal(1000, cache.Get(A(6), 1500));
    }

    [Fact]
    public void Ipv6FullCacheEvictsTheEntryClosestToExpiry()
    {
        using var wheel = new TimerWheel(_time);
        var cache = new V6Cache(wheel, TimeSpan.FromMinutes(10), capacity: 3);
        cache.Update(B(1), 1400, 1500);
        _time.Advance(TimeSpan.FromSeconds(1));
        cache.Update(B(2), 1400, 1500);
        _time.Advance(TimeSpan.FromSeconds(1));
        cache.Update(B(3), 1400, 1500);
        _time.Advance(TimeSpan.FromSeconds(1));
        cache.Update(B(1), 1300, 1400);
        cache.Update(B(4), 1400, 1500);
        Assert.Equal(3, cache.Count);
        Assert.Equal(0, cache.Get(B(2)));
        Assert.Equal(1300, cache.Get(B(1)));
        Assert.Equal(1400, cache.Get(B(3)));
        Assert.Equal(1400, cache.Get(B(4)));
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(0, cache.Get(B(3)));
        cache.Update(B(5), 1400, 1500);
        cache.Update(B(6), 1400, 1500);
        Assert.Equal(3, cache.Count);
        Assert.Equal(1400, cache.Get(B(5)));
        Assert.Equal(1400, cache.Get(B(6)));
        cache.Clear();
        Assert.Equal(0, cache.Count);
        cache.Update(B(7), 1400, 1500);
        Assert.Equal(1400, cache.Get(B(7)));
    }

    private static Address A(int i) => Address.V4(192, 0, 2, (byte)i);

    private static Address B(int i) => Address.FromV6(0x2001_0DB8_0000_0000UL, (ulong)i);
}
