using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>A Router Advertisement message (RFC 4861 section 4.2), the whole ICMPv6 message, read and written in place.</summary>
public readonly ref struct NdpRouterAdvertisement
{
    /// <summary>Length without options.</summary>
    public const int Size = 16;

    private readonly Span<byte> _bytes;

    private NdpRouterAdvertisement(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views <paramref name="message"/>; false when it is shorter than <see cref="Size"/>.</summary>
    public static bool TryParse(Span<byte> message, out NdpRouterAdvertisement advertisement)
    {
        if (message.Length < Size)
        {
            advertisement = default;
            return false;
        }
        advertisement = new NdpRouterAdvertisement(message);
        return true;
    }

    /// <summary>The hop limit the router suggests (0: unspecified).</summary>
    public byte CurrentHopLimit => _bytes[4];

    /// <summary>M: addresses are available by DHCPv6.</summary>
    public bool ManagedAddressConfiguration => (_bytes[5] & 0x80) != 0;

    /// <summary>O: other configuration is available by DHCPv6.</summary>
    public bool OtherConfiguration => (_bytes[5] & 0x40) != 0;

    /// <summary>How long the router may be used as a default router, in seconds (0: not a default router).</summary>
    public ushort RouterLifetime => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);

    /// <summary>Reachable time in milliseconds (0: unspecified).</summary>
    public uint ReachableTime => BinaryPrimitives.ReadUInt32BigEndian(_bytes[8..]);

    /// <summary>Retransmission timer in milliseconds (0: unspecified).</summary>
    public uint RetransmitTimer => BinaryPrimitives.ReadUInt32BigEndian(_bytes[12..]);

    /// <summary>The options after the fixed part.</summary>
    public Span<byte> Options => _bytes[Size..];

    /// <summary>Writes the fixed part (checksum zero) into the first <see cref="Size"/> bytes.</summary>
    public static void Encode(Span<byte> destination, byte currentHopLimit, ushort routerLifetime, uint reachableTime = 0, uint retransmitTimer = 0)
    {
        Icmpv6Header.Encode(destination, Icmpv6Type.RouterAdvertisement, 0, (uint)currentHopLimit << 24 | routerLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], reachableTime);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], retransmitTimer);
    }
}
