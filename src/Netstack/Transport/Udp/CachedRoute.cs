using Netstack.Stack;

namespace Netstack.Transport.Udp;

/// <summary>
/// A route an endpoint looked up, with what it asked for and the <see cref="NetworkStack.RoutingGeneration"/>
/// it was found under, so the next datagram to the same place reuses it without a lookup (and without
/// allocating). Immutable; replaced when stale.
/// </summary>
internal sealed class CachedRoute
{
    public CachedRoute(Route route, long generation, Address requestedLocal, int requestedNic)
    {
        Route = route;
        Generation = generation;
        RequestedLocal = requestedLocal;
        RequestedNic = requestedNic;
        IsBroadcast = route.RemoteAddress.IsLimitedBroadcast || route.Nic.IsBroadcast(route.RemoteAddress);
    }

    public Route Route { get; }

    public long Generation { get; }

    public Address RequestedLocal { get; }

    public int RequestedNic { get; }

    /// <summary>The destination is a broadcast address of the route's NIC (sending needs the broadcast option).</summary>
    public bool IsBroadcast { get; }

    /// <summary>Same question, and nothing a route lookup depends on changed since.</summary>
    public bool Answers(NetworkStack stack, Address remote, Address local, int nic) =>
        Route.RemoteAddress == remote && RequestedLocal == local && RequestedNic == nic && IsCurrent(stack);

    /// <summary>
    /// Nothing a route lookup depends on changed since: the route table, the NICs, their addresses and the
    /// addresses' states (<see cref="NetworkStack.RoutingGeneration"/>), so a lookup would answer the same.
    /// </summary>
    public bool IsCurrent(NetworkStack stack) => Generation == stack.RoutingGeneration;
}
