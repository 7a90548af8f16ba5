using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>
/// The 8-byte header every ICMPv4 message starts with (RFC 792): type, code, checksum and four bytes whose
/// meaning depends on the type (identifier and sequence of an echo, next-hop MTU of a fragmentation-needed,
/// pointer of a parameter problem).
/// </summary>
public readonly ref struct Icmpv4Header
{
    /// <summary>Header length.</summary>
    public const int Size = 8;

    private readonly Span<byte> _bytes;

    private Icmpv4Header(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views the first <see cref="Size"/> bytes; false when there are fewer.</summary>
    public static bool TryParse(Span<byte> bytes, out Icmpv4Header header)
    {
        if (bytes.Length < Size)
        {
            header = default;
            return false;
        }
        header = new Icmpv4Header(bytes[..Size]);
        return true;
    }

    /// <summary>Message type (<see cref="Icmpv4Type"/>).</summary>
    public byte Type => _bytes[0];

    /// <summary>Message code (<see cref="Icmpv4Code"/>).</summary>
    public byte Code => _bytes[1];

    /// <summary>The checksum field (over the whole message).</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);

    /// <summary>Echo identifier.</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_bytes[4..]);

    /// <summary>Echo sequence number.</summary>
    public ushort Sequence => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);

    /// <summary>Next-hop MTU of a fragmentation-needed message (RFC 1191 section 4); 0 from old routers.</summary>
    public ushort NextHopMtu => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);

    /// <summary>Offset of the offending byte of a parameter problem.</summary>
    public byte Pointer => _bytes[4];

    /// <summary>The four type-specific bytes.</summary>
    public uint RestOfHeader => BinaryPrimitives.ReadUInt32BigEndian(_bytes[4..]);

    /// <summary>Sets the checksum field.</summary>
    public void SetChecksum(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_bytes[2..], value);

    /// <summary>Writes a header with a zero checksum into the front of <paramref name="destination"/>.</summary>
    public static void Encode(Span<byte> destination, byte type, byte code, uint restOfHeader)
    {
        destination[0] = type;
        destination[1] = code;
        destination[2] = 0;
        destination[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], restOfHeader);
    }
}
