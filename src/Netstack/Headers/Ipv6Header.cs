using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>
/// The fixed 40-byte IPv6 header (RFC 8200 section 3) read and written in place. <see cref="TryParse"/>
/// checks the length only; the version and the payload length are the caller's to validate.
/// </summary>
public readonly ref struct Ipv6Header
{
    /// <summary>Length of the fixed header.</summary>
    public const int Size = 40;

    /// <summary>The smallest link MTU IPv6 requires (RFC 8200 section 5).</summary>
    public const int MinimumMtu = 1280;

    /// <summary>Offset of the Payload Length field.</summary>
    public const int PayloadLengthOffset = 4;

    /// <summary>Offset of the Next Header field.</summary>
    public const int NextHeaderOffset = 6;

    /// <summary>Offset of the Hop Limit field.</summary>
    public const int HopLimitOffset = 7;

    /// <summary>Offset of the Source Address field.</summary>
    public const int SourceOffset = 8;

    /// <summary>Offset of the Destination Address field.</summary>
    public const int DestinationOffset = 24;

    private readonly Span<byte> _bytes;

    private Ipv6Header(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views the first <see cref="Size"/> bytes; false when there are fewer.</summary>
    public static bool TryParse(Span<byte> packet, out Ipv6Header header)
    {
        if (packet.Length < Size)
        {
            header = default;
            return false;
        }
        header = new Ipv6Header(packet[..Size]);
        return true;
    }

    /// <summary>The IP version (6 for a valid packet).</summary>
    public int Version => _bytes[0] >> 4;

    /// <summary>Traffic class (DSCP and ECN).</summary>
    public byte TrafficClass => (byte)((BinaryPrimitives.ReadUInt16BigEndian(_bytes) >> 4) & 0xFF);

    /// <summary>Flow label (20 bits).</summary>
    public int FlowLabel => (int)(BinaryPrimitives.ReadUInt32BigEndian(_bytes) & 0xF_FFFF);

    /// <summary>Bytes after the fixed header (extension headers and upper-layer data).</summary>
    public ushort PayloadLength
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_bytes[PayloadLengthOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_bytes[PayloadLengthOffset..], value);
    }

    /// <summary>The type of the header that follows.</summary>
    public byte NextHeader
    {
        get => _bytes[NextHeaderOffset];
        set => _bytes[NextHeaderOffset] = value;
    }

    /// <summary>Hop limit.</summary>
    public byte HopLimit => _bytes[HopLimitOffset];

    /// <summary>Source address.</summary>
    public Address Source => Address.ReadV6(_bytes[SourceOffset..]);

    /// <summary>Destination address.</summary>
    public Address Destination => Address.ReadV6(_bytes[DestinationOffset..]);

    /// <summary>Writes a header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public static void Encode(Span<byte> destination, int payloadLength, byte nextHeader, byte hopLimit,
        Address source, Address target, byte trafficClass = 0, int flowLabel = 0)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 6u << 28 | (uint)trafficClass << 20 | ((uint)flowLabel & 0xF_FFFF));
        BinaryPrimitives.WriteUInt16BigEndian(destination[PayloadLengthOffset..], (ushort)payloadLength);
        destination[NextHeaderOffset] = nextHeader;
        destination[HopLimitOffset] = hopLimit;
        source.WriteTo(destination[SourceOffset..]);
        target.WriteTo(destination[DestinationOffset..]);
    }
}
