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
    // Destinations by expiry (every entry lives the same time, so the order of their last update), under the lock.
    private readonly LinkedList<Address> _byExpiry = new();
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
            if (_entries.TryGetValue(destination, out var old))
            {
                _byExpiry.Remove(old.Node);
                _byExpiry.AddLast(old.Node);
                _entries[destination] = new Entry(mtu, now + _expiryMs, old.Node);
                return true;
            }
            if (_count >= _capacity)
            {
                EvictOne();
            }
            _entries[destination] = new Entry(mtu, now + _expiryMs, _byExpiry.AddLast(destination));
            _count++;
            return true;
        }
    }

    private void Remove(Address destination, Entry expected)
    {
        lock (_gate)
        {
            if (_entries.TryRemove(new KeyValuePair<Address, Entry>(destination, expected)))
            {
                _byExpiry.Remove(expected.Node);
                _count--;
            }
        }
    }

    // Called under the lock when full: the entry closest to expiry (or expired), in O(1): a scan of a full
    // table on every report let a flood of forged reports cost ~50 us of CPU each.
    private void EvictOne()
    {
        var oldest = _byExpiry.First;
        if (oldest is not null && _entries.TryRemove(oldest.Value, out _))
        {
            _byExpiry.RemoveFirst();
            _count--;
        }
    }

    private readonly record struct Entry(int Mtu, long ExpiresAt, LinkedListNode<Address> Node);
}
