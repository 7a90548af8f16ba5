namespace Netstack.Stack;

/// <summary>
/// The route table: longest prefix match, then lowest metric. Reads take an immutable snapshot, so lookups
/// on the packet path never lock.
/// </summary>
public sealed class RouteTable
{
    private readonly Lock _gate = new();
    private volatile RouteEntry[] _routes = [];
    private long _generation;

    /// <summary>The routes, most specific first.</summary>
    public IReadOnlyList<RouteEntry> Routes => _routes;

    /// <summary>
    /// Changes with every change to the table, so a transport that cached a <see cref="Route"/> can tell
    /// cheaply whether to look it up again.
    /// </summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>Adds a route (an identical one is not added twice).</summary>
    public void Add(RouteEntry route)
    {
        lock (_gate)
        {
            if (Array.IndexOf(_routes, route) >= 0)
            {
                return;
            }
            var next = new RouteEntry[_routes.Length + 1];
            _routes.CopyTo(next, 0);
            next[^1] = route;
            // Stable: equal keys keep insertion order.
            _routes = next.OrderByDescending(r => r.Destination.PrefixLength).ThenBy(r => r.Metric).ToArray();
            Interlocked.Increment(ref _generation);
        }
    }

    /// <summary>Removes every route matching <paramref name="match"/>; returns how many.</summary>
    public int RemoveAll(Func<RouteEntry, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        lock (_gate)
        {
            var keep = _routes.Where(r => !match(r)).ToArray();
            int removed = _routes.Length - keep.Length;
            _routes = keep;
            if (removed != 0)
            {
                Interlocked.Increment(ref _generation);
            }
            return removed;
        }
    }

    /// <summary>Replaces the whole table.</summary>
    public void Replace(IEnumerable<RouteEntry> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        lock (_gate)
        {
            _routes = routes.Distinct().OrderByDescending(r => r.Destination.PrefixLength).ThenBy(r => r.Metric).ToArray();
            Interlocked.Increment(ref _generation);
        }
    }

    /// <summary>The routes that match <paramref name="destination"/>, best first (optionally through one NIC).</summary>
    public IEnumerable<RouteEntry> Match(Address destination, int nicId = 0)
    {
        foreach (var r in _routes)
        {
            if ((nicId == 0 || r.NicId == nicId) && r.Destination.Contains(destination))
            {
                yield return r;
            }
        }
    }
}
