namespace Netstack.Network.Arp;

/// <summary>Behaviour of <see cref="ArpProtocol"/>; neighbour timing and limits are in <see cref="Stack.StackOptions.Neighbors"/>.</summary>
public sealed record ArpOptions
{
    /// <summary>
    /// Announce an address with a gratuitous ARP request (RFC 5227 section 2.3) when it is added to an enabled
    /// NIC and when the NIC is enabled, so neighbours update stale caches.
    /// </summary>
    public bool AnnounceAddresses { get; init; } = true;
}
