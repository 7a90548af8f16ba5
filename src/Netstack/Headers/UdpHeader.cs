using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>
/// A UDP header (RFC 768) read and written in place: source port, destination port, length (header plus
/// data) and checksum, 8 bytes. <see cref="TryParse"/> checks that the 8 bytes are there; whether the length
/// field agrees with the packet is the protocol's check.
/// </summary>
public readonly ref struct UdpHeader
{
    /// <summary>Header length.</summary>
    public const int Size = 8;

    /// <summary>Offset of the checksum field.</summary>
    public const int ChecksumOffset = 6;

    private readonly Span<byte> _bytes;

    private UdpHeader(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views the first <see cref="Size"/> bytes; false when there are fewer.</summary>
    public static bool TryParse(Span<byte> bytes, out UdpHeader header)
    {
        if (bytes.Length < Size)
        {
            header = default;
            return false;
        }
        header = new UdpHeader(bytes[..Size]);
        return true;
    }

    /// <summary>Source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_bytes);

    /// <summary>Destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);

    /// <summary>Length of header and data, in bytes.</summary>
    public ushort Length => BinaryPrimitives.ReadUInt16BigEndian(_bytes[4..]);

    /// <summary>Checksum field; 0 means "not computed", allowed on IPv4 only (RFC 768, RFC 8200 8.1).</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[ChecksumOffset..]);

    /// <summary>Overwrites the checksum field.</summary>
    public void SetChecksum(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_bytes[ChecksumOffset..], value);

    /// <summary>
    /// Writes a header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.
    /// </summary>
    public static void Encode(Span<byte> destination, ushort sourcePort, ushort destinationPort, ushort length, ushort checksum)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], length);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], checksum);
    }
}
