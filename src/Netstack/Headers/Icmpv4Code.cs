namespace Netstack.Headers;

/// <summary>ICMPv4 codes of destination unreachable (type 3), time exceeded (type 11) and parameter problem (type 12).</summary>
public static class Icmpv4Code
{
    /// <summary>Destination unreachable: network unreachable.</summary>
    public const byte NetUnreachable = 0;
    /// <summary>Destination unreachable: host unreachable.</summary>
    public const byte HostUnreachable = 1;
    /// <summary>Destination unreachable: protocol unreachable.</summary>
    public const byte ProtocolUnreachable = 2;
    /// <summary>Destination unreachable: port unreachable.</summary>
    public const byte PortUnreachable = 3;
    /// <summary>Destination unreachable: fragmentation needed and DF set (RFC 1191).</summary>
    public const byte FragmentationNeeded = 4;
    /// <summary>Destination unreachable: source route failed.</summary>
    public const byte SourceRouteFailed = 5;
    /// <summary>Destination unreachable: destination network unknown.</summary>
    public const byte NetUnknown = 6;
    /// <summary>Destination unreachable: destination host unknown.</summary>
    public const byte HostUnknown = 7;
    /// <summary>Destination unreachable: source host isolated.</summary>
    public const byte SourceHostIsolated = 8;
    /// <summary>Destination unreachable: network administratively prohibited.</summary>
    public const byte NetProhibited = 9;
    /// <summary>Destination unreachable: host administratively prohibited.</summary>
    public const byte HostProhibited = 10;
    /// <summary>Destination unreachable: network unreachable for TOS.</summary>
    public const byte NetUnreachableForTos = 11;
    /// <summary>Destination unreachable: host unreachable for TOS.</summary>
    public const byte HostUnreachableForTos = 12;
    /// <summary>Destination unreachable: communication administratively prohibited (RFC 1812).</summary>
    public const byte AdministrativelyProhibited = 13;
    /// <summary>Destination unreachable: host precedence violation.</summary>
    public const byte HostPrecedenceViolation = 14;
    /// <summary>Destination unreachable: precedence cutoff in effect.</summary>
    public const byte PrecedenceCutoff = 15;

    /// <summary>Time exceeded: TTL reached zero in transit.</summary>
    public const byte TtlExceeded = 0;
    /// <summary>Time exceeded: fragment reassembly time exceeded.</summary>
    public const byte ReassemblyTimeout = 1;

    /// <summary>Parameter problem: the pointer names the offending byte.</summary>
    public const byte PointerIndicatesError = 0;
}
