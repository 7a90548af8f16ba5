using Netstack.Stack.Counters;

namespace Netstack.Network;

/// <summary>The protocol's counters the reassembler counts in.</summary>
/// <param name="Duplicate">An exact duplicate dropped on its own.</param>
/// <param name="Overlap">An overlap discarded the datagram.</param>
/// <param name="Inconsistent">A fragment disagreed about where the datagram ends.</param>
/// <param name="TooManyFragments">The datagram needed more than <see cref="ReassemblyOptions.MaxFragments"/>.</param>
/// <param name="Evicted">A datagram evicted for memory or for the count of datagrams.</param>
/// <param name="Timeouts">A datagram timed out incomplete.</param>
/// <param name="Reassembled">A datagram completed.</param>
/// <param name="AfterDiscard">A fragment of a datagram discarded earlier (with <see cref="ReassemblyOptions.DiscardUntilTimeout"/>).</param>
internal sealed record ReassemblyCounters(
    Counter Duplicate,
    Counter Overlap,
    Counter Inconsistent,
    Counter TooManyFragments,
    Counter Evicted,
    Counter Timeouts,
    Counter Reassembled,
    Counter? AfterDiscard = null);
