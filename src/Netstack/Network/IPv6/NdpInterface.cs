using Netstack.Stack;

namespace Netstack.Network.IPv6;

/// <summary>The neighbour discovery state of one NIC: duplicate address detection and router discovery.</summary>
internal sealed class NdpInterface
{
    public NdpInterface(NeighborDiscovery ndp, Ipv6Protocol ip, Nic nic)
    {
        Nic = nic;
        Dad = new DuplicateAddressDetection(ndp, nic, ip.Stack.Timers, ip.Options);
        Routers = new RouterDiscovery(ndp, ip, nic);
    }

    public Nic Nic { get; }

    public DuplicateAddressDetection Dad { get; }

    public RouterDiscovery Routers { get; }
}
