namespace Netstack.Headers;

/// <summary>One SACK block (RFC 2018): the received range [<see cref="Start"/>, <see cref="End"/>) in sequence space.</summary>
/// <param name="Start">First sequence number of the block.</param>
/// <param name="End">Sequence number just after the block.</param>
public readonly record struct TcpSackBlock(uint Start, uint End);
