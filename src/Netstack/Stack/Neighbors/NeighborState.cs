namespace Netstack.Stack.Neighbors;

/// <summary>Neighbour Unreachability Detection states (RFC 4861 section 7.3.2), used for ARP as well.</summary>
public enum NeighborState
{
    /// <summary>Resolution is in progress; packets wait in a bounded queue.</summary>
    Incomplete,
    /// <summary>The link address was confirmed recently.</summary>
    Reachable,
    /// <summary>The link address is known but not confirmed recently; it is used, and the next use starts verification.</summary>
    Stale,
    /// <summary>Waiting briefly for an upper-layer confirmation before probing.</summary>
    Delay,
    /// <summary>Sending unicast probes to confirm the link address.</summary>
    Probe,
    /// <summary>Configured by the user; never expires.</summary>
    Static,
}
