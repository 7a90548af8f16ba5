namespace Netstack.Stack;

/// <summary>ARP hardware types (linux/if_arp.h) a link reports.</summary>
public enum ArpHardwareType : ushort
{
    /// <summary>No link header (TUN, raw IP).</summary>
    None = 0xFFFE,
    /// <summary>Ethernet (ARPHRD_ETHER).</summary>
    Ether = 1,
    /// <summary>Loopback (ARPHRD_LOOPBACK).</summary>
    Loopback = 772,
}
