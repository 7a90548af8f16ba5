using Netstack.Stack;

namespace Netstack.Transport.Udp;

/// <summary>
/// A route an endpoint looked up, with what it asked for and when, so the next datagram to the same place
/// reuses it without a lookup (and without allocating). Immutable; replaced when stale.
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

    /// <summary>Same question, and nothing changed since: the route table, the NIC's state, its addresses.</summary>
    public bool Answers(NetworkStack stack, Address remote, Address local, int nic) =>
        Route.RemoteAddress == remote && RequestedLocal == local && RequestedNic == nic && IsCurrent(stack);

    public bool IsCurrent(NetworkStack stack)
    {
        var route = Route;
        if (Generation != stack.Routes.Generation || !route.Nic.Enabled)
        {
            return false;
        }
        if (!route.IsLocal)
        {
            return route.Nic.HasAddress(route.LocalAddress);
        }
        return route.Nic.HasAddress(route.RemoteAddress)
            && (route.LocalAddress == route.RemoteAddress || stack.FindNicWithAddress(route.LocalAddress) is not null);
    }
}
