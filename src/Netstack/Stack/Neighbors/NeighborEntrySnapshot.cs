namespace Netstack.Stack.Neighbors;

/// <summary>A point-in-time copy of a neighbour cache entry.</summary>
public readonly record struct NeighborEntrySnapshot(Address Address, LinkAddress LinkAddress, NeighborState State);
