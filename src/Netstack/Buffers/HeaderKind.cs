namespace Netstack.Buffers;

/// <summary>The header slots a <see cref="PacketBuffer"/> records.</summary>
public enum HeaderKind
{
    /// <summary>Link layer (Ethernet).</summary>
    Link,
    /// <summary>Network layer (IPv4, IPv6 with its extension headers, ARP).</summary>
    Network,
    /// <summary>Transport layer (TCP, UDP, ICMP).</summary>
    Transport,
}
