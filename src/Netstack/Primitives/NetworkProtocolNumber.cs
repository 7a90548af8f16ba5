namespace Netstack;

/// <summary>Network protocol numbers: the EtherType values that name them on an Ethernet link.</summary>
public static class NetworkProtocolNumber
{
    /// <summary>IPv4 (0x0800).</summary>
    public const ushort IPv4 = 0x0800;
    /// <summary>ARP (0x0806).</summary>
    public const ushort Arp = 0x0806;
    /// <summary>IPv6 (0x86DD).</summary>
    public const ushort IPv6 = 0x86DD;
}

/// <summary>Transport protocol numbers as carried in the IPv4 Protocol / IPv6 Next Header field.</summary>
public static class TransportProtocolNumber
{
    /// <summary>ICMPv4 (1).</summary>
    public const byte Icmpv4 = 1;
    /// <summary>TCP (6).</summary>
    public const byte Tcp = 6;
    /// <summary>UDP (17).</summary>
    public const byte Udp = 17;
    /// <summary>ICMPv6 (58).</summary>
    public const byte Icmpv6 = 58;
}
