using System.Collections.Concurrent;
using Netstack.Stack.Timers;

namespace Netstack.Network;

/// <summary>
/// Path MTUs learned from ICMP (IPv4 fragmentation needed, RFC 1191; IPv6 Packet Too Big, RFC 8201), per
/// destination, for one IP protocol. A report only ever lowers the estimate, never below the protocol's
/// floor (68 for IPv4, 1280 for IPv6), and an entry expires after a while so that a larger MTU is tried
/// again (RFC 1191 section 6.3, RFC 8201 section 4). Lookups are lock-free and skip the table entirely while
/// it is empty (the common case on the send path); changes take a lock.
/// </summary>
internal sealed class PathMtuCache
{
    private readonly ConcurrentDictionary<Address, Entry> _entries = new();
    // Destinations by expiry (every entry lives the same time, so the order of their last update), under the lock.
    private readonly LinkedList<Address> _byExpiry = new();
    private readonly Lock _gate = new();
    private readonly TimerWheel _clock;
    private readonly int _floor;
    private readonly long _expiryMs;
    private readonly int _capacity;
    private volatile int _count;

    /// <param name="clock">The stack's wheel, whose clock the expiry is measured on.</param>
    /// <param name="floor">The protocol's minimum MTU: a report below it is raised to it.</param>
    /// <param name="expiry">How long a learned MTU holds.</param>
    /// <param name="capacity">Most destinations kept; beyond it an expired entry, else the one closest to expiry, goes.</param>
    public PathMtuCache(TimerWheel clock, int floor, TimeSpan expiry, int capacity)
    {
        _clock = clock;
        _floor = floor;
        _expiryMs = (long)expiry.TotalMilliseconds;
        _capacity = capacity;
    }

    /// <summary>Number of destinations with a learned MTU (expired ones included until looked up).</summary>
    public int Count => _count;

    /// <summary>The learned MTU towards <paramref name="destination"/>, or 0 when none holds.</summary>
    public int Learned(Address destination)
    {
        if (_count == 0 || !_entries.TryGetValue(destination, out var e))
        {
            return 0;
        }
        if (e.ExpiresAt <= _clock.NowMilliseconds)
        {
            Remove(destination, e);
            return 0;
        }
        return e.Mtu;
    }

    /// <summary>The MTU towards <paramref name="destination"/>: the learned one where it is below <paramref name="ceiling"/>, else <paramref name="ceiling"/>.</summary>
    public int Get(Address destination, int ceiling)
    {
        int learned = Learned(destination);
        return learned > 0 && learned < ceiling ? learned : ceiling;
    }

    /// <summary>
    /// Records a report of <paramref name="reported"/> for <paramref name="destination"/>, whose MTU is
    /// <paramref name="ceiling"/> before anything learned (the link MTU, or less). True when the report lowered
    /// the estimate; <paramref name="mtu"/> is the MTU now in force either way.
    /// </summary>
    public bool Lower(Address destination, int reported, int ceiling, out int mtu)
    {
        mtu = Math.Max(reported, _floor);
        lock (_gate)
        {
            // Read under the lock, so two reports racing cannot leave the larger one in force.
            int current = Get(destination, ceiling);
            if (mtu >= current)
            {
                mtu = current;
                return false;
            }
            long now = _clock.NowMilliseconds;
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

    // Called under the lock when full: the entry closest to expiry (or expired), in O(1). A scan of the full
    // table on every report made each forged fragmentation-needed / Packet Too Big cost tens of microseconds.
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
