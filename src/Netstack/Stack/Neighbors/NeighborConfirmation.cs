namespace Netstack.Stack.Neighbors;

/// <summary>Flags of a received advertisement (RFC 4861 section 4.4); an ARP reply is solicited and override.</summary>
/// <param name="Solicited">It answers our solicitation.</param>
/// <param name="Override">It may replace a cached link address.</param>
/// <param name="IsRouter">The sender is a router.</param>
public readonly record struct NeighborConfirmation(bool Solicited, bool Override, bool IsRouter = false);
