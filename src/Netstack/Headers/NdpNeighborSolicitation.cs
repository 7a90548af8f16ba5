namespace Netstack.Headers;

/// <summary>A Neighbor Solicitation message (RFC 4861 section 4.3), the whole ICMPv6 message, read and written in place.</summary>
public readonly ref struct NdpNeighborSolicitation
{
    /// <summary>Length without options: ICMPv6 header, reserved, target address.</summary>
    public const int Size = 24;

    private readonly Span<byte> _bytes;

    private NdpNeighborSolicitation(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views <paramref name="message"/>; false when it is shorter than <see cref="Size"/>.</summary>
    public static bool TryParse(Span<byte> message, out NdpNeighborSolicitation solicitation)
    {
        if (message.Length < Size)
        {
            solicitation = default;
            return false;
        }
        solicitation = new NdpNeighborSolicitation(message);
        return true;
    }

    /// <summary>The address being resolved or checked.</summary>
    public Address Target => Address.ReadV6(_bytes[8..]);

    /// <summary>The options after the fixed part.</summary>
    public Span<byte> Options => _bytes[Size..];

    /// <summary>Writes the fixed part (checksum zero) into the first <see cref="Size"/> bytes.</summary>
    public static void Encode(Span<byte> destination, Address target)
    {
        Icmpv6Header.Encode(destination, Icmpv6Type.NeighborSolicitation, 0);
        target.WriteTo(destination[8..]);
    }
}
