namespace Netstack.Network;

/// <summary>How an IP protocol configures <see cref="FragmentReassembler{TKey}"/>: its limits and its overlap policy.</summary>
internal sealed record ReassemblyOptions
{
    /// <summary>How long an incomplete datagram waits for its missing fragments.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>Memory all incomplete datagrams may pin together (chunk capacity); above it the oldest are evicted.</summary>
    public required long HighWater { get; init; }

    /// <summary>Where eviction stops once <see cref="HighWater"/> was crossed.</summary>
    public required long LowWater { get; init; }

    /// <summary>Most fragments one datagram may arrive in; one more discards it.</summary>
    public required int MaxFragments { get; init; }

    /// <summary>Most datagrams known at once (discarded ones waiting out their timeout included); a new one evicts the oldest.</summary>
    public required int MaxReassemblies { get; init; }

    /// <summary>
    /// An exact duplicate (same range) is dropped on its own only when it also carries the same bytes; the same
    /// range with other bytes is an overlap (IPv4). Otherwise the range alone decides (IPv6, RFC 8200 section 4.5).
    /// </summary>
    public bool DuplicatesMustMatchBytes { get; init; }

    /// <summary>
    /// A discarded datagram stays known until its timeout, so its later fragments are dropped too
    /// (IPv6, RFC 5722 section 4). Otherwise it is forgotten at once and a later fragment starts afresh (IPv4).
    /// </summary>
    public bool DiscardUntilTimeout { get; init; }
}
