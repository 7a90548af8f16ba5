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

    // Called under the lock when full: an expired entry, or else the one closest to expiry.
    private void EvictOne(long now)
    {
        Address victim = default;
        long soonest = long.MaxValue;
        foreach (var (address, e) in _entries)
        {
            if (e.ExpiresAt <= now)
            {
                victim = address;
                break;
            }
            if (e.ExpiresAt < soonest)
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
