namespace Netstack.Headers;

/// <summary>ICMPv6 message types and codes (RFC 4443, RFC 4861, RFC 3810).</summary>
public static class Icmpv6Type
{
    /// <summary>The Next Header value of ICMPv6 (58).</summary>
    public const byte Protocol = 58;

    /// <summary>Destination Unreachable (1).</summary>
    public const byte DestinationUnreachable = 1;

    /// <summary>Packet Too Big (2).</summary>
    public const byte PacketTooBig = 2;

    /// <summary>Time Exceeded (3).</summary>
    public const byte TimeExceeded = 3;

    /// <summary>Parameter Problem (4).</summary>
    public const byte ParameterProblem = 4;

    /// <summary>Echo Request (128).</summary>
    public const byte EchoRequest = 128;

    /// <summary>Echo Reply (129).</summary>
    public const byte EchoReply = 129;

    /// <summary>Multicast Listener Query (130).</summary>
    public const byte MulticastListenerQuery = 130;

    /// <summary>Multicast Listener Report, version 1 (131).</summary>
    public const byte MulticastListenerReport = 131;

    /// <summary>Multicast Listener Done (132).</summary>
    public const byte MulticastListenerDone = 132;

    /// <summary>Router Solicitation (133).</summary>
    public const byte RouterSolicitation = 133;

    /// <summary>Router Advertisement (134).</summary>
    public const byte RouterAdvertisement = 134;

    /// <summary>Neighbor Solicitation (135).</summary>
    public const byte NeighborSolicitation = 135;

    /// <summary>Neighbor Advertisement (136).</summary>
    public const byte NeighborAdvertisement = 136;

    /// <summary>Redirect (137).</summary>
    public const byte Redirect = 137;

    /// <summary>Multicast Listener Report, version 2 (143).</summary>
    public const byte MulticastListenerReportV2 = 143;

    /// <summary>Destination Unreachable code 0: no route to destination.</summary>
    public const byte CodeNoRoute = 0;

    /// <summary>Destination Unreachable code 3: address unreachable.</summary>
    public const byte CodeAddressUnreachable = 3;

    /// <summary>Destination Unreachable code 4: port unreachable.</summary>
    public const byte CodePortUnreachable = 4;

    /// <summary>Time Exceeded code 0: hop limit exceeded in transit.</summary>
    public const byte CodeHopLimitExceeded = 0;

    /// <summary>Time Exceeded code 1: fragment reassembly time exceeded.</summary>
    public const byte CodeReassemblyTimeExceeded = 1;

    /// <summary>Parameter Problem code 0: erroneous header field.</summary>
    public const byte CodeErroneousHeaderField = 0;

    /// <summary>Parameter Problem code 1: unrecognised Next Header type.</summary>
    public const byte CodeUnrecognizedNextHeader = 1;

    /// <summary>Parameter Problem code 2: unrecognised IPv6 option.</summary>
    public const byte CodeUnrecognizedOption = 2;

    /// <summary>Parameter Problem code 3: the first fragment has an incomplete header chain (RFC 7112).</summary>
    public const byte CodeIncompleteHeaderChain = 3;
}
