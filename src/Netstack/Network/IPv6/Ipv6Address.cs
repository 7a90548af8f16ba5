namespace Netstack.Network.IPv6;

/// <summary>IPv6 address arithmetic the protocol needs: solicited-node groups, interface identifiers, scopes.</summary>
public static class Ipv6Address
{
    private const ulong SolicitedNodeHigh = 0xFF02_0000_0000_0000;
    private const ulong SolicitedNodeLowPrefix = 0x0000_0001_FF00_0000;
    private const ulong LinkLocalHigh = 0xFE80_0000_0000_0000;

    /// <summary>Scope of a link-local address (RFC 4291 section 2.7, RFC 6724 section 3.1).</summary>
    public const int LinkLocalScope = 2;

    /// <summary>Scope of a global address.</summary>
    public const int GlobalScope = 14;

    /// <summary>The solicited-node multicast group of <paramref name="address"/>: ff02::1:ff00:0/104 plus its low 24 bits (RFC 4291 section 2.7.1).</summary>
    public static Address SolicitedNode(Address address) =>
        Address.FromV6(SolicitedNodeHigh, SolicitedNodeLowPrefix | (address.Low & 0xFF_FFFF));

    /// <summary>True for an address in ff02::1:ff00:0/104.</summary>
    public static bool IsSolicitedNode(Address address) =>
        address.IsV6 && address.High == SolicitedNodeHigh && (address.Low & 0xFFFF_FFFF_FF00_0000) == SolicitedNodeLowPrefix;

    /// <summary>The modified EUI-64 interface identifier of a MAC (RFC 4291 appendix A): ff:fe in the middle, U/L bit flipped.</summary>
    public static ulong InterfaceIdentifier(LinkAddress mac)
    {
        ulong m = mac.Value;
        ulong upper = m >> 24;
        ulong lower = m & 0xFF_FFFF;
        return (upper << 40 | 0xFF_FE00_0000UL | lower) ^ (0x02UL << 56);
    }

    /// <summary>The link-local address fe80::/64 with the MAC's modified EUI-64 identifier (RFC 4862 section 5.3).</summary>
    public static Address LinkLocal(LinkAddress mac) => Address.FromV6(LinkLocalHigh, InterfaceIdentifier(mac));

    /// <summary>A /64 <paramref name="prefix"/> completed with the MAC's interface identifier (SLAAC, RFC 4862 section 5.5.3).</summary>
    public static Address FromPrefix(Address prefix, LinkAddress mac) => Address.FromV6(prefix.High, InterfaceIdentifier(mac));

    /// <summary>True for ::ffff:0:0/96, which must not appear on the wire (RFC 4291 section 2.5.5.2).</summary>
    public static bool IsV4Mapped(Address address) =>
        address.IsV6 && address.High == 0 && (address.Low >> 32) == 0xFFFF;

    /// <summary>The scope of an address (RFC 6724 section 3.1): a multicast address's scope field; 2 for link-local and loopback unicast; 5 for deprecated site-local; 14 otherwise.</summary>
    public static int Scope(Address address)
    {
        if (address.IsMulticast)
        {
            return (int)((address.High >> 48) & 0xF);
        }
        if (address.IsLinkLocalUnicast || address.IsLoopback)
        {
            return LinkLocalScope;
        }
        return (address.High >> 54) == (0xFEC0UL >> 6) ? 5 : GlobalScope;
    }
}
