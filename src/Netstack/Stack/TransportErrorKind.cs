namespace Netstack.Stack;

/// <summary>An error reported to a transport endpoint, usually from a received ICMP message.</summary>
public enum TransportErrorKind
{
    /// <summary>The peer has no listener on the port.</summary>
    PortUnreachable,
    /// <summary>The host is unreachable.</summary>
    HostUnreachable,
    /// <summary>The network is unreachable.</summary>
    NetworkUnreachable,
    /// <summary>The peer does not support the protocol.</summary>
    ProtocolUnreachable,
    /// <summary>A packet was too big for a link on the path; <see cref="TransportError.Info"/> holds the MTU.</summary>
    PacketTooBig,
    /// <summary>The TTL / hop limit ran out, or reassembly timed out.</summary>
    TimeExceeded,
    /// <summary>Administratively prohibited or another hard error.</summary>
    Prohibited,
    /// <summary>The peer reported a problem with a header field.</summary>
    ParameterProblem,
}

/// <summary>
/// An error for a transport endpoint: its kind, a kind-specific value (the MTU for
/// <see cref="TransportErrorKind.PacketTooBig"/>), and bytes 4 to 7 of the quoted transport header (TCP's
/// sequence number, which TCP checks against what it has in flight, RFC 5927 4.1), or -1 when the message
/// quoted fewer than 8 bytes of it.
/// </summary>
public readonly record struct TransportError(TransportErrorKind Kind, int Info = 0, long QuotedWord = -1);
