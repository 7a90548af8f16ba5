namespace Netstack.Network.IPv4;

/// <summary>
/// Limits and behaviour of <see cref="Ipv4Protocol"/> and its ICMPv4. The defaults follow Linux
/// (<c>ipfrag_time</c>, <c>ipfrag_high_thresh</c>, <c>icmp_msgs_per_sec</c>, <c>icmp_echo_ignore_broadcasts</c>).
/// </summary>
public sealed record Ipv4ProtocolOptions
{
    /// <summary>How long an incomplete datagram waits for its missing fragments (Linux <c>ipfrag_time</c>, 30 s).</summary>
    public TimeSpan ReassemblyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Memory all incomplete datagrams may hold together, counted as the pooled chunks their fragments pin
    /// (Linux counts skb truesize the same way). Beyond it the oldest are evicted down to <see cref="ReassemblyLowWater"/>.
    /// </summary>
    public long ReassemblyHighWater { get; init; } = 4L << 20;

    /// <summary>Where eviction stops once <see cref="ReassemblyHighWater"/> was crossed.</summary>
    public long ReassemblyLowWater { get; init; } = 3L << 20;

    /// <summary>Most fragments one datagram may arrive in; a datagram that needs more is dropped.</summary>
    public int MaxFragmentsPerDatagram { get; init; } = 64;

    /// <summary>Most datagrams being reassembled at once; a new one evicts the oldest beyond it.</summary>
    public int MaxReassemblies { get; init; } = 1024;

    /// <summary>ICMP errors sent per second, on average (Linux <c>icmp_msgs_per_sec</c>); 0 means no limit.</summary>
    public int IcmpErrorsPerSecond { get; init; } = 1000;

    /// <summary>ICMP errors that may be sent in a burst (Linux <c>icmp_msgs_burst</c>).</summary>
    public int IcmpErrorBurst { get; init; } = 50;

    /// <summary>Do not answer echo requests sent to a broadcast or multicast address (Linux <c>icmp_echo_ignore_broadcasts</c>).</summary>
    public bool IgnoreBroadcastEcho { get; init; } = true;

    /// <summary>How long a path MTU learned from ICMP holds before the link MTU is tried again (Linux <c>mtu_expires</c>, 10 min).</summary>
    public TimeSpan PathMtuExpiry { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Most destinations with a learned path MTU; beyond it the entry closest to expiry is replaced.</summary>
    public int MaxPathMtuEntries { get; init; } = 4096;

    /// <summary>Throws when an option is out of range, naming it and the allowed values.</summary>
    public void Validate()
    {
        if (ReassemblyTimeout <= TimeSpan.Zero || ReassemblyTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(ReassemblyTimeout), ReassemblyTimeout, "ReassemblyTimeout must be more than 0 and at most 10 minutes.");
        }
        if (ReassemblyHighWater < 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(ReassemblyHighWater), ReassemblyHighWater, "ReassemblyHighWater must be at least 65536 bytes.");
        }
        if (ReassemblyLowWater < 0 || ReassemblyLowWater > ReassemblyHighWater)
        {
            throw new ArgumentOutOfRangeException(nameof(ReassemblyLowWater), ReassemblyLowWater, "ReassemblyLowWater must be 0..ReassemblyHighWater.");
        }
        InRange(MaxFragmentsPerDatagram, 1, 8192, nameof(MaxFragmentsPerDatagram));
        InRange(MaxReassemblies, 1, 1 << 20, nameof(MaxReassemblies));
        InRange(IcmpErrorsPerSecond, 0, 1_000_000, nameof(IcmpErrorsPerSecond));
        InRange(IcmpErrorBurst, 1, 1_000_000, nameof(IcmpErrorBurst));
        if (PathMtuExpiry <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PathMtuExpiry), PathMtuExpiry, "PathMtuExpiry must be positive.");
        }
        InRange(MaxPathMtuEntries, 1, 1 << 20, nameof(MaxPathMtuEntries));
    }

    private static void InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {min}..{max}.");
        }
    }
}
