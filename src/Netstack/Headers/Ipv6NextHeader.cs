namespace Netstack.Headers;

/// <summary>Values of the IPv6 Next Header field that name extension headers (RFC 8200 section 4, IANA registry).</summary>
public static class Ipv6NextHeader
{
    /// <summary>Hop-by-Hop Options (0); only allowed right after the IPv6 header.</summary>
    public const byte HopByHop = 0;

    /// <summary>Routing (43).</summary>
    public const byte Routing = 43;

    /// <summary>Fragment (44).</summary>
    public const byte Fragment = 44;

    /// <summary>Encapsulating Security Payload (50).</summary>
    public const byte Esp = 50;

    /// <summary>Authentication Header (51).</summary>
    public const byte AuthenticationHeader = 51;

    /// <summary>No Next Header (59): nothing follows.</summary>
    public const byte NoNextHeader = 59;

    /// <summary>Destination Options (60).</summary>
    public const byte DestinationOptions = 60;

    /// <summary>True for the extension headers whose length is (Hdr Ext Len + 1) * 8: hop-by-hop, routing, destination options.</summary>
    public static bool IsOptionsOrRouting(byte value) => value is HopByHop or Routing or DestinationOptions;
}
