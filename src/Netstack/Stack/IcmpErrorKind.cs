namespace Netstack.Stack;

/// <summary>ICMP errors a transport or the network layer asks to send (mapped to ICMPv4 or ICMPv6 codes).</summary>
public enum IcmpErrorKind
{
    /// <summary>No listener on the destination port (ICMPv4 3/3, ICMPv6 1/4).</summary>
    PortUnreachable,
    /// <summary>The transport protocol is not supported (ICMPv4 3/2, ICMPv6 4/1 parameter problem).</summary>
    ProtocolUnreachable,
    /// <summary>The host could not be reached (ICMPv4 3/1, ICMPv6 1/3).</summary>
    HostUnreachable,
    /// <summary>No route to the network (ICMPv4 3/0, ICMPv6 1/0).</summary>
    NetworkUnreachable,
    /// <summary>Fragment reassembly timed out (ICMPv4 11/1, ICMPv6 3/1).</summary>
    ReassemblyTimeout,
    /// <summary>TTL / hop limit reached zero in transit (ICMPv4 11/0, ICMPv6 3/0).</summary>
    TtlExceeded,
}
