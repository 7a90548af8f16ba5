using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>
/// A TCP header (RFC 9293 section 3.1) read and written in place. <see cref="TryParse"/> checks the fixed
/// part and the data offset once; the options are the bytes between the fixed part and the data offset.
/// </summary>
public readonly ref struct TcpHeader
{
    /// <summary>Length of the fixed header (data offset 5).</summary>
    public const int MinimumSize = 20;

    /// <summary>Largest header: data offset 15.</summary>
    public const int MaximumSize = 60;

    /// <summary>Offset of the checksum field from the start of the header.</summary>
    public const int ChecksumOffset = 16;

    private readonly Span<byte> _bytes;

    private TcpHeader(Span<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Views the header at the front of <paramref name="segment"/>: false when the segment is shorter than
    /// 20 bytes, or the data offset is below 5 or points past the end of the segment.
    /// </summary>
    public static bool TryParse(Span<byte> segment, out TcpHeader header)
    {
        header = default;
        if (segment.Length < MinimumSize)
        {
            return false;
        }
        int length = (segment[12] >> 4) * 4;
        if (length < MinimumSize || length > segment.Length)
        {
            return false;
        }
        header = new TcpHeader(segment[..length]);
        return true;
    }

    /// <summary>The header length (data offset in bytes) stated by a header whose first 13 bytes are in <paramref name="bytes"/>.</summary>
    public static int LengthOf(ReadOnlySpan<byte> bytes) => (bytes[12] >> 4) * 4;

    /// <summary>Source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_bytes);

    /// <summary>Destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);

    /// <summary>Sequence number.</summary>
    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_bytes[4..]);

    /// <summary>Acknowledgment number.</summary>
    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_bytes[8..]);

    /// <summary>Header length in bytes (data offset times four).</summary>
    public int HeaderLength => _bytes.Length;

    /// <summary>Control bits.</summary>
    public TcpFlags Flags => (TcpFlags)_bytes[13];

    /// <summary>Window field (unscaled).</summary>
    public ushort WindowSize => BinaryPrimitives.ReadUInt16BigEndian(_bytes[14..]);

    /// <summary>Checksum field.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[ChecksumOffset..]);

    /// <summary>Urgent pointer.</summary>
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_bytes[18..]);

    /// <summary>The option bytes (empty when the data offset is 5).</summary>
    public ReadOnlySpan<byte> Options => _bytes[MinimumSize..];

    /// <summary>The whole header.</summary>
    public Span<byte> Bytes => _bytes;

    /// <summary>Overwrites the checksum field.</summary>
    public void SetChecksum(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_bytes[ChecksumOffset..], value);

    /// <summary>
    /// Writes the fixed 20 bytes of a header into <paramref name="destination"/> with the data offset set to
    /// <paramref name="headerLength"/> (20..60, a multiple of 4) and a zero checksum; options follow separately.
    /// </summary>
    public static void Encode(Span<byte> destination, in TcpFields fields, int headerLength)
    {
        if (headerLength < MinimumSize || headerLength > MaximumSize || (headerLength & 3) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(headerLength), headerLength, "A TCP header is 20..60 bytes, a multiple of 4.");
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination, fields.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], fields.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], fields.SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], fields.AcknowledgmentNumber);
        destination[12] = (byte)(headerLength / 4 << 4);
        destination[13] = (byte)fields.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], fields.WindowSize);
        BinaryPrimitives.WriteUInt16BigEndian(destination[ChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[18..], fields.UrgentPointer);
    }
}

/// <summary>The fixed fields of a TCP header, for <see cref="TcpHeader.Encode"/>.</summary>
/// <param name="SourcePort">Source port.</param>
/// <param name="DestinationPort">Destination port.</param>
/// <param name="SequenceNumber">Sequence number.</param>
/// <param name="AcknowledgmentNumber">Acknowledgment number.</param>
/// <param name="Flags">Control bits.</param>
/// <param name="WindowSize">Window field (already scaled down).</param>
/// <param name="UrgentPointer">Urgent pointer.</param>
public readonly record struct TcpFields(
    ushort SourcePort,
    ushort DestinationPort,
    uint SequenceNumber,
    uint AcknowledgmentNumber,
    TcpFlags Flags,
    ushort WindowSize,
    ushort UrgentPointer = 0);
