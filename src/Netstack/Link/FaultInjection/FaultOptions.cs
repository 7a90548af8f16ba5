using System.Diagnostics.CodeAnalysis;

namespace Netstack.Link.FaultInjection;

/// <summary>
/// What a <see cref="FaultInjectingEndpoint"/> does to each direction, and the seed that makes it
/// repeatable. Build it in code (<see cref="DirectionFaults"/> takes probabilities as fractions 0..1) or
/// from a spec string with <see cref="Parse"/> (percentages), as <c>netstack up --faults</c> does.
/// </summary>
public sealed record FaultOptions
{
    /// <summary>No faults in either direction.</summary>
    public static FaultOptions None { get; } = new();

    /// <summary>Faults on packets the link receives, on their way up to the stack.</summary>
    public DirectionFaults Inbound { get; init; } = DirectionFaults.None;

    /// <summary>Faults on packets the stack sends, on their way down to the link.</summary>
    public DirectionFaults Outbound { get; init; } = DirectionFaults.None;

    /// <summary>
    /// Seed of every random decision; the same seed and the same packets give the same faults. Null picks
    /// a random seed, which the endpoint reports in <see cref="FaultInjectingEndpoint.Seed"/> so a run can be replayed.
    /// </summary>
    public ulong? Seed { get; init; }

    /// <summary>True when either direction has a fault configured.</summary>
    public bool IsActive => Inbound.IsActive || Outbound.IsActive;

    /// <summary>The same faults in both directions.</summary>
    public static FaultOptions ForBoth(DirectionFaults faults, ulong? seed = null)
    {
        ArgumentNullException.ThrowIfNull(faults);
        return new FaultOptions { Inbound = faults, Outbound = faults, Seed = seed };
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of its range.</summary>
    public void Validate()
    {
        if (Inbound is null || Outbound is null)
        {
            throw new ArgumentNullException(Inbound is null ? nameof(Inbound) : nameof(Outbound), "Give DirectionFaults.None for no faults.");
        }
        Inbound.Validate(nameof(Inbound));
        Outbound.Validate(nameof(Outbound));
    }

    /// <summary>
    /// Parses a fault spec: comma-separated <c>key=value</c> items, for example
    /// <c>drop=5%,dup=1%,reorder=2%,delay=10ms±5ms,corrupt=0.1%,rate=100mbit,seed=42</c>.
    /// </summary>
    /// <remarks>
    /// <para>A key alone applies to both directions; prefixed with <c>in.</c> or <c>out.</c> it applies to
    /// that direction only and wins over the unprefixed key wherever it appears. A key may be given once
    /// per scope. Keys and units are case-insensitive; spaces around items are ignored.</para>
    /// <list type="table">
    /// <listheader><term>key</term><description>value (allowed range)</description></listheader>
    /// <item><term>drop</term><description>percentage of packets lost, <c>0%..100%</c> (the <c>%</c> is required)</description></item>
    /// <item><term>dup</term><description>(or <c>duplicate</c>) percentage sent twice, <c>0%..100%</c></description></item>
    /// <item><term>reorder</term><description>percentage held back to swap places with the next packet, <c>0%..100%</c></description></item>
    /// <item><term>reorder-hold</term><description>longest wait for the next packet, <c>1ms..60s</c> (10ms)</description></item>
    /// <item><term>corrupt</term><description>percentage with one bit flipped, <c>0%..100%</c></description></item>
    /// <item><term>delay</term><description>one-way delay <c>0..60s</c>, optionally <c>±jitter</c> (also written <c>+-</c> or <c>~</c>), jitter <c>0..delay</c></description></item>
    /// <item><term>jitter</term><description>delay variation, <c>0..delay</c></description></item>
    /// <item><term>rate</term><description>bottleneck rate, <c>0</c> (unlimited) or <c>1kbit..1tbit</c>; units bit, kbit, mbit, gbit, tbit (powers of 1000)</description></item>
    /// <item><term>burst</term><description>bytes let through back to back by the rate limiter, <c>0..64mb</c>; units k or kb (1024), m or mb (1048576)</description></item>
    /// <item><term>limit</term><description>packets waiting for the rate limiter, <c>1..1000000</c> (1000)</description></item>
    /// <item><term>delay-limit</term><description>packets in the delay line, <c>1..1000000</c> (10000)</description></item>
    /// <item><term>max-size</term><description>drop network-layer packets larger than this, <c>0</c> (off) or <c>1..65535</c> bytes</description></item>
    /// <item><term>seed</term><description>the random seed, <c>0..18446744073709551615</c> or <c>0x</c> hex; both directions only</description></item>
    /// </list>
    /// <para>Durations take a unit: <c>ns</c>, <c>us</c> (or <c>µs</c>), <c>ms</c>, <c>s</c>; only 0 may go without.
    /// An empty spec means no faults.</para>
    /// </remarks>
    /// <exception cref="FormatException">An item is malformed or out of range; the message names the item, its key and the allowed range.</exception>
    public static FaultOptions Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!FaultSpec.TryParse(spec, out var options, out var error))
        {
            throw new FormatException(error);
        }
        return options;
    }

    /// <summary>Parses a fault spec like <see cref="Parse"/>; on failure returns false and the message it would throw.</summary>
    public static bool TryParse(string? spec, [NotNullWhen(true)] out FaultOptions? options, [NotNullWhen(false)] out string? error)
    {
        if (spec is null)
        {
            options = null;
            error = "The fault spec is null.";
            return false;
        }
        return FaultSpec.TryParse(spec, out options, out error);
    }

    /// <summary>The options as a spec string that <see cref="Parse"/> reads back (settings at their defaults are left out).</summary>
    public override string ToString() => FaultSpec.Format(this);
}
