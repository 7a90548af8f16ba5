namespace Netstack.Stack.Neighbors;

/// <summary>Neighbour cache timing and limits (RFC 4861 section 10 defaults).</summary>
public sealed record NeighborOptions
{
    /// <summary>Base reachable time; each entry uses a random 0.5..1.5 multiple (RFC 4861 6.3.2).</summary>
    public TimeSpan BaseReachableTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time between solicitations.</summary>
    public TimeSpan RetransmitTimer { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Time in DELAY before the first unicast probe.</summary>
    public TimeSpan DelayFirstProbeTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Multicast (or broadcast) solicitations before resolution fails.</summary>
    public int MaxMulticastProbes { get; init; } = 3;

    /// <summary>Unicast probes before a neighbour is declared unreachable.</summary>
    public int MaxUnicastProbes { get; init; } = 3;

    /// <summary>
    /// Most entries per NIC and protocol; beyond it a non-static entry goes: one this host never sent through first,
    /// then one still resolving, then the least recently used.
    /// </summary>
    public int MaxEntries { get; init; } = 512;

    /// <summary>Most packets held per entry while it resolves; the oldest is dropped beyond it.</summary>
    public int MaxPendingPacketsPerEntry { get; init; } = 64;

    /// <summary>
    /// Most memory the packets held per entry while it resolves may pin (the capacity of their chunks, each chunk
    /// once, as Linux charges truesize against <c>unres_qlen_bytes</c>, whose default this is); the oldest are
    /// dropped beyond it, and the newest packet is always kept.
    /// </summary>
    public int MaxPendingBytesPerEntry { get; init; } = 212_992;

    /// <summary>Throws when a value is out of range, naming the option.</summary>
    public void Validate()
    {
        Positive(BaseReachableTime, nameof(BaseReachableTime));
        Positive(RetransmitTimer, nameof(RetransmitTimer));
        Positive(DelayFirstProbeTime, nameof(DelayFirstProbeTime));
        InRange(MaxMulticastProbes, 1, 255, nameof(MaxMulticastProbes));
        InRange(MaxUnicastProbes, 1, 255, nameof(MaxUnicastProbes));
        InRange(MaxEntries, 1, 1 << 20, nameof(MaxEntries));
        InRange(MaxPendingPacketsPerEntry, 1, 65536, nameof(MaxPendingPacketsPerEntry));
        InRange(MaxPendingBytesPerEntry, 1, 1 << 30, nameof(MaxPendingBytesPerEntry));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
    }

    private static void InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {min}..{max}.");
        }
    }
}
