namespace Netstack.Link.FaultInjection;

/// <summary>
/// The faults applied to one direction of a <see cref="FaultInjectingEndpoint"/>. Probabilities are
/// fractions from 0 to 1 (the spec string of <see cref="FaultOptions.Parse"/> writes them as percentages);
/// every fault is off by default. Per packet, in this order: <see cref="MaxPacketSize"/>, drop, corrupt,
/// duplicate, reorder, then the rate limiter and the delay line.
/// </summary>
public sealed record DirectionFaults
{
    /// <summary>Longest <see cref="Delay"/> and <see cref="ReorderHold"/>: 60 s.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(60);

    /// <summary>Shortest <see cref="ReorderHold"/>: 1 ms (the timer resolution).</summary>
    public static readonly TimeSpan MinReorderHold = TimeSpan.FromMilliseconds(1);

    /// <summary>Lowest non-zero <see cref="RateBitsPerSecond"/>: 1 kbit/s.</summary>
    public const long MinRate = 1_000;

    /// <summary>Highest <see cref="RateBitsPerSecond"/>: 1 Tbit/s.</summary>
    public const long MaxRate = 1_000_000_000_000;

    /// <summary>Largest <see cref="BurstBytes"/>: 64 MiB.</summary>
    public const int MaxBurst = 64 << 20;

    /// <summary>Largest <see cref="QueueLimit"/> and <see cref="DelayLimit"/>: one million packets.</summary>
    public const int MaxLimit = 1_000_000;

    /// <summary>Largest <see cref="MaxPacketSize"/>: 65535 bytes (an IP packet).</summary>
    public const int MaxPacketSizeLimit = 65_535;

    /// <summary>No faults: packets pass untouched.</summary>
    public static DirectionFaults None { get; } = new();

    /// <summary>Probability (0..1) that a packet is lost.</summary>
    public double DropProbability { get; init; }

    /// <summary>Probability (0..1) that a packet is sent twice.</summary>
    public double DuplicateProbability { get; init; }

    /// <summary>
    /// Probability (0..1) that a packet is held back and released right after the next packet of the same
    /// direction (so the two swap places), or after <see cref="ReorderHold"/> if no packet follows.
    /// </summary>
    public double ReorderProbability { get; init; }

    /// <summary>Longest time a reordered packet waits for a packet to overtake it (1 ms..60 s; 10 ms by default).</summary>
    public TimeSpan ReorderHold { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Probability (0..1) that one random bit of the packet is flipped, anywhere from the network header to
    /// the end, in a private copy (the sender's bytes are never touched).
    /// </summary>
    public double CorruptProbability { get; init; }

    /// <summary>Fixed one-way delay (0..60 s).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>
    /// Each packet's delay is uniform in [<see cref="Delay"/> - Jitter, <see cref="Delay"/> + Jitter]
    /// (0..<see cref="Delay"/>). Jitter never reorders: a packet never leaves before one sent earlier.
    /// </summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Bottleneck rate in bits per second: 0 for unlimited, else 1 kbit/s..1 Tbit/s.</summary>
    public long RateBitsPerSecond { get; init; }

    /// <summary>
    /// Bytes the rate limiter lets through back to back after an idle period (0..64 MiB). 0, the default,
    /// paces every packet at the rate, like a serial link.
    /// </summary>
    public int BurstBytes { get; init; }

    /// <summary>Packets that may wait for the rate limiter (1..1,000,000; 1000 by default, as Linux's txqueuelen); more are dropped.</summary>
    public int QueueLimit { get; init; } = 1000;

    /// <summary>Packets that may be in flight in the delay line (1..1,000,000; 10,000 by default); more are dropped.</summary>
    public int DelayLimit { get; init; } = 10_000;

    /// <summary>Network-layer packets larger than this many bytes are dropped: 0 for no limit, else 1..65535.</summary>
    public int MaxPacketSize { get; init; }

    /// <summary>True when any fault is configured; false means packets pass with no work at all.</summary>
    public bool IsActive =>
        DropProbability > 0 || DuplicateProbability > 0 || ReorderProbability > 0 || CorruptProbability > 0 ||
        Delay > TimeSpan.Zero || RateBitsPerSecond > 0 || MaxPacketSize > 0;

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of its range, prefixed
    /// with <paramref name="owner"/> (for example <c>Outbound</c>).
    /// </summary>
    public void Validate(string owner = nameof(DirectionFaults))
    {
        CheckProbability(owner, nameof(DropProbability), DropProbability);
        CheckProbability(owner, nameof(DuplicateProbability), DuplicateProbability);
        CheckProbability(owner, nameof(ReorderProbability), ReorderProbability);
        CheckProbability(owner, nameof(CorruptProbability), CorruptProbability);
        if (ReorderHold < MinReorderHold || ReorderHold > MaxDelay)
        {
            throw Invalid(owner, nameof(ReorderHold), ReorderHold, "1 ms..60 s");
        }
        if (Delay < TimeSpan.Zero || Delay > MaxDelay)
        {
            throw Invalid(owner, nameof(Delay), Delay, "0..60 s");
        }
        if (Jitter < TimeSpan.Zero || Jitter > Delay)
        {
            throw Invalid(owner, nameof(Jitter), Jitter, $"0..Delay ({Delay})");
        }
        if (RateBitsPerSecond != 0 && (RateBitsPerSecond < MinRate || RateBitsPerSecond > MaxRate))
        {
            throw Invalid(owner, nameof(RateBitsPerSecond), RateBitsPerSecond, "0 (unlimited) or 1000..1000000000000 bit/s");
        }
        if (BurstBytes < 0 || BurstBytes > MaxBurst)
        {
            throw Invalid(owner, nameof(BurstBytes), BurstBytes, $"0..{MaxBurst}");
        }
        if (QueueLimit < 1 || QueueLimit > MaxLimit)
        {
            throw Invalid(owner, nameof(QueueLimit), QueueLimit, $"1..{MaxLimit}");
        }
        if (DelayLimit < 1 || DelayLimit > MaxLimit)
        {
            throw Invalid(owner, nameof(DelayLimit), DelayLimit, $"1..{MaxLimit}");
        }
        if (MaxPacketSize < 0 || MaxPacketSize > MaxPacketSizeLimit)
        {
            throw Invalid(owner, nameof(MaxPacketSize), MaxPacketSize, $"0 (no limit) or 1..{MaxPacketSizeLimit}");
        }
    }

    private static void CheckProbability(string owner, string name, double value)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw Invalid(owner, name, value, "0..1 (a probability)");
        }
    }

    private static ArgumentOutOfRangeException Invalid(string owner, string name, object value, string range) =>
        new($"{owner}.{name}", value, $"{owner}.{name} is {value}; allowed {range}.");
}
