using Netstack.Stack;

namespace Netstack.Network.IPv6;

/// <summary>
/// Source address selection, RFC 6724 section 5 simplified to the rules that matter on a host with a few
/// addresses per NIC: (1) the destination itself, (2) an appropriate scope, (3) not deprecated,
/// (8) the longest matching prefix. Tentative and duplicate addresses are never chosen (RFC 4862).
/// </summary>
internal static class SourceAddressSelection
{
    /// <summary>The best source on <paramref name="nic"/> for <paramref name="destination"/>, or empty when it has no usable IPv6 address.</summary>
    public static Address Select(Nic nic, Address destination)
    {
        NicAddress? best = null;
        int destinationScope = Ipv6Address.Scope(destination);
        var addresses = nic.Addresses;
        for (int i = 0; i < addresses.Count; i++)
        {
            var candidate = addresses[i];
            if (!candidate.Address.IsV6 || !candidate.AcceptsTraffic)
            {
                continue;
            }
            if (candidate.Address == destination)
            {
                return destination;
            }
            if (best is null || Prefer(candidate, best, destination, destinationScope))
            {
                best = candidate;
            }
        }
        return best?.Address ?? default;
    }

    // True when a is a better source than b for the destination.
    private static bool Prefer(NicAddress a, NicAddress b, Address destination, int destinationScope)
    {
        int scopeA = Ipv6Address.Scope(a.Address);
        int scopeB = Ipv6Address.Scope(b.Address);
        if (scopeA != scopeB)
        {
            // Rule 2: the smallest scope that still reaches the destination; failing that, the largest.
            return scopeA < scopeB ? scopeA >= destinationScope : scopeB < destinationScope;
        }
        bool deprecatedA = a.State == AddressState.Deprecated;
        bool deprecatedB = b.State == AddressState.Deprecated;
        if (deprecatedA != deprecatedB)
        {
            return deprecatedB;
        }
        int matchA = Math.Min(a.Address.CommonPrefixLength(destination), a.AddressWithPrefix.PrefixLength);
        int matchB = Math.Min(b.Address.CommonPrefixLength(destination), b.AddressWithPrefix.PrefixLength);
        return matchA > matchB;
    }
}
