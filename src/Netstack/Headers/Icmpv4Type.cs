namespace Netstack.Headers;

/// <summary>ICMPv4 message types (RFC 792, RFC 950, RFC 1256).</summary>
public static class Icmpv4Type
{
    /// <summary>Echo reply.</summary>
    public const byte EchoReply = 0;
    /// <summary>Destination unreachable (codes in <see cref="Icmpv4Code"/>).</summary>
    public const byte DestinationUnreachable = 3;
    /// <summary>Source quench (deprecated by RFC 6633; ignored).</summary>
    public const byte SourceQuench = 4;
    /// <summary>Redirect.</summary>
    public const byte Redirect = 5;
    /// <summary>Echo request.</summary>
    public const byte Echo = 8;
    /// <summary>Router advertisement.</summary>
    public const byte RouterAdvertisement = 9;
    /// <summary>Router solicitation.</summary>
    public const byte RouterSolicitation = 10;
    /// <summary>Time exceeded.</summary>
    public const byte TimeExceeded = 11;
    /// <summary>Parameter problem.</summary>
    public const byte ParameterProblem = 12;
    /// <summary>Timestamp request.</summary>
    public const byte Timestamp = 13;
    /// <summary>Timestamp reply.</summary>
    public const byte TimestampReply = 14;
    /// <summary>Information request (obsolete).</summary>
    public const byte InformationRequest = 15;
    /// <summary>Information reply (obsolete).</summary>
    public const byte InformationReply = 16;
    /// <summary>Address mask request.</summary>
    public const byte AddressMaskRequest = 17;
    /// <summary>Address mask reply.</summary>
    public const byte AddressMaskReply = 18;

    /// <summary>
    /// True for a query or informational message. Anything else, unknown types included, counts as an error,
    /// which is never answered with an ICMP error (RFC 1122 3.2.2, as Linux treats unknown types).
    /// </summary>
    public static bool IsQuery(byte type) => type is EchoReply or Echo or RouterAdvertisement or RouterSolicitation
        or Timestamp or TimestampReply or InformationRequest or InformationReply or AddressMaskRequest or AddressMaskReply;
}
