namespace Netstack.Headers;

/// <summary>
/// The generic shape of a hop-by-hop, routing or destination options header (RFC 8200 sections 4.3-4.6):
/// Next Header, Hdr Ext Len (in 8-byte units, not counting the first 8), then type-specific bytes.
/// </summary>
public readonly ref struct Ipv6ExtensionHeader
{
    /// <summary>The smallest extension header.</summary>
    public const int MinimumSize = 8;

    private readonly Span<byte> _bytes;

    private Ipv6ExtensionHeader(Span<byte> bytes) => _bytes = bytes;

    /// <summary>The header's length in bytes as its first two bytes declare it; 0 when fewer than two bytes are given.</summary>
    public static int DeclaredLength(ReadOnlySpan<byte> start) => start.Length < 2 ? 0 : (start[1] + 1) * 8;

    /// <summary>Views one whole header at the front of <paramref name="bytes"/>; false when it is truncated.</summary>
    public static bool TryParse(Span<byte> bytes, out Ipv6ExtensionHeader header)
    {
        int length = DeclaredLength(bytes);
        if (length == 0 || bytes.Length < length)
        {
            header = default;
            return false;
        }
        header = new Ipv6ExtensionHeader(bytes[..length]);
        return true;
    }

    /// <summary>The type of the header that follows.</summary>
    public byte NextHeader => _bytes[0];

    /// <summary>The whole header length in bytes.</summary>
    public int Length => _bytes.Length;

    /// <summary>The bytes after Next Header and Hdr Ext Len: options, or the routing fields.</summary>
    public Span<byte> Body => _bytes[2..];

    /// <summary>Routing headers: the routing type (byte 2).</summary>
    public byte RoutingType => _bytes[2];

    /// <summary>Routing headers: segments left (byte 3).</summary>
    public byte SegmentsLeft => _bytes[3];

    /// <summary>Writes a Pad-only options header of <paramref name="length"/> bytes (a multiple of 8).</summary>
    public static void EncodePadded(Span<byte> destination, byte nextHeader, int length)
    {
        destination[0] = nextHeader;
        destination[1] = (byte)(length / 8 - 1);
        destination[2..length].Clear();
        // One PadN option covers the rest (RFC 8200 section 4.2).
        destination[2] = Ipv6Option.PadN;
        destination[3] = (byte)(length - 4);
    }
}
