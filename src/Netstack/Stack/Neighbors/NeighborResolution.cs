namespace Netstack.Stack.Neighbors;

/// <summary>The outcome of asking the cache for a link address on the send path.</summary>
public enum NeighborResolution
{
    /// <summary>The link address is known: send now.</summary>
    Resolved,
    /// <summary>Resolution is in progress and the packets were queued; they go out (or are dropped) later.</summary>
    Queued,
    /// <summary>Resolution failed recently or cannot start: the host is unreachable.</summary>
    Failed,
}
