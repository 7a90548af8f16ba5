using System.Collections.Concurrent;
using Netstack.Stack.Timers;

namespace Netstack.Network.IPv4;

/// <summary>
/// Path MTUs learned from ICMP fragmentation-needed messages (RFC 1191), per destination, each expiring
/// after a while so a larger MTU is tried again (RFC 1191 section 6.3). Lookups are lock-free and skip the
/// table entirely while it is empty (the common case on the send path).
/// </summary>
internal sealed class PathMtuCache
{
    private readonly ConcurrentDictionary<Address, Entry> _entries = new();
    private readonly Lock _gate = new();
    private readonly TimerWheel _clock;
    private readonly long _expiryMs;
    private readonly int _capacity;
    private volatile int _count;

    public PathMtuCache(TimerWheel clock, TimeSpan expiry, int capacity)
    {
        _clock = clock;
        _expiryMs = (long)expiry.TotalMilliseconds;
        _capacity = capacity;
    }

    public int Count => _count;

    /// <summary>The MTU towards <paramref name="destination"/>: the learned one if smaller than <paramref name="linkMtu"/> and not expired.</summary>
    public int Get(Address destination, int linkMtu)
    {
        if (_count == 0 || !_entries.TryGetValue(destination, out var e))
        {
            return linkMtu;
        }
        if (e.ExpiresAt <= _clock.NowMilliseconds)
        {
            Remove(destination, e);
            return linkMtu;
        }
        return Math.Min(e.Mtu, linkMtu);
    }

    /// <summary>Records <paramref name="mtu"/> for <paramref name="destination"/> if it lowers the current estimate; true if it did.</summary>
    public bool Lower(Address destination, int mtu, int linkMtu)
    {
        lock (_gate)
        {
            long now = _clock.NowMilliseconds;
            // RFC 1191 section 6.3: a report never raises the estimate.
            int current = Get(destination, linkMtu);
            if (mtu >= current)
            {
                return false;
            }
            if (!_entries.ContainsKey(destination) && _count >= _capacity)
            {
                EvictOne(now);
            }
            if (_entries.TryAdd(destination, new Entry(mtu, now + _expiryMs)))
            {
                _count++;
            }
            else
            {
                _entries[destination] = new Entry(mtu, now + _expiryMs);
            }
            return true;
        }
    }

    private void Remove(Address destination, Entry expected)
    {
        lock (_gate)
        {
            if (_entries.TryRemove(new KeyValuePair<Address, Entry>(destination, expected)))
            {
                _count--;
            }
        }
    }

    // Called under the lock when full: drop expired entries, or else the one closest to expiry.
    private void EvictOne(long now)
    {
        Address victim = default;
        long soonest = long.MaxValue;
        foreach (var (address, e) in _entries)
        {
            if (e.ExpiresAt <= now || e.ExpiresAt < soonest)
            {
                victim = address;
                soonest = e.ExpiresAt;
            }
        }
        if (!victim.IsEmpty && _entries.TryRemove(victim, out _))
        {
            _count--;
        }
    }

    private readonly record struct Entry(int Mtu, long ExpiresAt);
}
