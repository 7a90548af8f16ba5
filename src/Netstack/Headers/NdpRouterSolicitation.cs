namespace Netstack.Headers;

/// <summary>A Router Solicitation message (RFC 4861 section 4.1), the whole ICMPv6 message.</summary>
public readonly ref struct NdpRouterSolicitation
{
    /// <summary>Length without options: ICMPv6 header and reserved word.</summary>
    public const int Size = 8;

    private readonly Span<byte> _bytes;

    private NdpRouterSolicitation(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views <paramref name="message"/>; false when it is shorter than <see cref="Size"/>.</summary>
    public static bool TryParse(Span<byte> message, out NdpRouterSolicitation solicitation)
    {
        if (message.Length < Size)
        {
            solicitation = default;
            return false;
        }
        solicitation = new NdpRouterSolicitation(message);
        return true;
    }

    /// <summary>The options after the fixed part.</summary>
    public Span<byte> Options => _bytes[Size..];

    /// <summary>Writes the fixed part (checksum zero) into the first <see cref="Size"/> bytes.</summary>
    public static void Encode(Span<byte> destination) => Icmpv6Header.Encode(destination, Icmpv6Type.RouterSolicitation, 0);
}
