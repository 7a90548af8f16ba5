namespace Netstack.Stack.Neighbors;

/// <summary>The protocol-specific half of neighbour resolution: ARP for IPv4, NDP for IPv6.</summary>
public interface ILinkAddressResolver
{
    /// <summary>
    /// Sends a solicitation for <paramref name="target"/> from <paramref name="localAddress"/> (empty: pick one).
    /// An empty <paramref name="remoteLinkAddress"/> means broadcast / multicast (resolution); a set one
    /// means a unicast probe (reachability confirmation).
    /// </summary>
    void SendSolicitation(Nic nic, Address target, Address localAddress, LinkAddress remoteLinkAddress);
}
