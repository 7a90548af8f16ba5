using Netstack.Headers;
using Netstack.Stack.Timers;

namespace Netstack.Network.IPv6;

/// <summary>
/// Path MTUs learned from Packet Too Big (RFC 8201), per destination. An entry only ever lowers the MTU,
/// never below 1280, and expires after <see cref="Ipv6Options.PathMtuTimeout"/> so that a larger MTU is
/// tried again. Lookups on the send path take a short lock and allocate nothing.
/// </summary>
internal sealed class PathMtuCache
{
    private readonly Dictionary<Address, Entry> _entries = new();
    private readonly Lock _gate = new();
    private readonly TimerWheel _clock;
    private readonly long _timeoutMs;
    private readonly int _capacity;
    private volatile int _count;

    public PathMtuCache(TimerWheel clock, TimeSpan timeout, int capacity)
    {
        _clock = clock;
        _timeoutMs = (long)timeout.TotalMilliseconds;
        _capacity = capacity;
    }

    /// <summary>Number of destinations with a learned MTU (expired ones included until looked up).</summary>
    public int Count => _count;

    /// <summary>The learned MTU towards <paramref name="destination"/>, or 0 when none (or it expired).</summary>
    public int Get(Address destination)
    {
        if (_count == 0)
        {
            return 0;
        }
        lock (_gate)
        {
            if (!_entries.TryGetValue(destination, out var e))
            {
                return 0;
            }
            if (e.ExpiresAt <= _clock.NowMilliseconds)
            {
                _entries.Remove(destination);
                _count = _entries.Count;
                return 0;
            }
            return e.Mtu;
        }
    }

    /// <summary>
    /// Records a Packet Too Big report of <paramref name="mtu"/> for <paramref name="destination"/> whose current
    /// MTU is <paramref name="current"/>; returns the path MTU now in force.
    /// </summary>
    public int Update(Address destination, int mtu, int current)
    {
        // RFC 8201 section 4: never below the IPv6 minimum, never raised by a report.
        mtu = Math.Max(mtu, Ipv6Header.MinimumMtu);
        if (mtu >= current)
        {
            return current;
        }
        lock (_gate)
        {
            long now = _clock.NowMilliseconds;
            if (!_entries.ContainsKey(destination) && _entries.Count >= _capacity)
            {
                EvictOne(now);
            }
            _entries[destination] = new Entry(mtu, now + _timeoutMs);
            _count = _entries.Count;
        }
        return mtu;
    }

    /// <summary>Forgets every learned MTU.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _count = 0;
        }
    }

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
                soonest = e.ExpiresAt;
                victim = address;
            }
        }
        _entries.Remove(victim);
    }

    private readonly record struct Entry(int Mtu, long ExpiresAt);
}
