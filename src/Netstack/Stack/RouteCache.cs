namespace Netstack.Stack;

/// <summary>
/// Recent answers of <see cref="NetworkStack.FindRoute"/> for a path that asks the same questions again and
/// again (echo replies and ICMP errors to the same peers): a hit returns the <see cref="Route"/> found before,
/// without a lookup and without allocating. An answer is kept with the <see cref="NetworkStack.RoutingGeneration"/>
/// it was found under and used only while that is unchanged, so a hit is exactly what a lookup would answer
/// now (gVisor and Linux cache routes per socket the same way; Linux's dst entries carry a generation too).
/// </summary>
/// <remarks>
/// Two-way set associative: a question looks in the two slots of its set, and a new answer goes in front,
/// pushing the set's other answer out; a flood of different peers costs what no cache would, never more.
/// Lock-free: entries are immutable and replaced whole. Errors are not kept.
/// </remarks>
internal sealed class RouteCache
{
    private readonly NetworkStack _stack;
    private readonly Entry?[] _slots;

    /// <param name="stack">The stack whose routes are cached.</param>
    /// <param name="slots">How many answers are kept (a power of two, at least 2).</param>
    public RouteCache(NetworkStack stack, int slots = 16)
    {
        if (slots < 2 || (slots & (slots - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(slots), slots, "The slot count must be a power of two, at least 2.");
        }
        _stack = stack;
        _slots = new Entry?[slots];
    }

    /// <summary>What <see cref="NetworkStack.FindRoute"/> answers for the same arguments.</summary>
    public TcpipError FindRoute(Address remote, out Route? route, Address local = default, int nicId = 0)
    {
        // Read before the lookup: a change while it runs leaves the entry older than the change.
        long generation = _stack.RoutingGeneration;
        int set = HashCode.Combine(remote, local, nicId) & (_slots.Length - 2);
        var first = Volatile.Read(ref _slots[set]);
        if (first is not null && first.Answers(remote, local, nicId, generation))
        {
            route = first.Route;
            return TcpipError.None;
        }
        var second = Volatile.Read(ref _slots[set + 1]);
        if (second is not null && second.Answers(remote, local, nicId, generation))
        {
            route = second.Route;
            return TcpipError.None;
        }
        var error = _stack.FindRoute(remote, out route, local, nicId);
        if (error == TcpipError.None)
        {
            if (first is not null && first.Generation == generation)
            {
                Volatile.Write(ref _slots[set + 1], first);
            }
            Volatile.Write(ref _slots[set], new Entry(remote, local, nicId, generation, route!));
        }
        return error;
    }

    private sealed record Entry(Address Remote, Address Local, int NicId, long Generation, Route Route)
    {
        public bool Answers(Address remote, Address local, int nicId, long generation) =>
            Generation == generation && Remote == remote && Local == local && NicId == nicId;
    }
}
