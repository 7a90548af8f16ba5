using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>
/// The first 8 bytes of an ICMPv6 message (RFC 4443 section 2.1): type, code, checksum and the
/// type-specific word (MTU, pointer, or echo identifier and sequence), read and written in place.
/// </summary>
public readonly ref struct Icmpv6Header
{
    /// <summary>Length of the header every message we handle starts with.</summary>
    public const int Size = 8;

    /// <summary>Offset of the checksum field.</summary>
    public const int ChecksumOffset = 2;

    private readonly Span<byte> _bytes;

    private Icmpv6Header(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views the first <see cref="Size"/> bytes of <paramref name="message"/>; false when there are fewer.</summary>
    public static bool TryParse(Span<byte> message, out Icmpv6Header header)
    {
        if (message.Length < Size)
        {
            header = default;
            return false;
        }
        header = new Icmpv6Header(message[..Size]);
        return true;
    }

    /// <summary>Message type; below 128 an error, from 128 informational.</summary>
    public byte Type => _bytes[0];

    /// <summary>Message code.</summary>
    public byte Code => _bytes[1];

    /// <summary>The checksum field as stored (big-endian value).</summary>
    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_bytes[ChecksumOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_bytes[ChecksumOffset..], value);
    }

    /// <summary>True for an error message (type below 128).</summary>
    public bool IsError => _bytes[0] < 128;

    /// <summary>Packet Too Big: the next-hop MTU.</summary>
    public uint Mtu => BinaryPrimitives.ReadUInt32BigEndian(_bytes[4..]);

    /// <summary>Parameter Problem: offset of the offending byte in the invoking packet.</summary>
    public uint Pointer => BinaryPrimitives.ReadUInt32BigEndian(_bytes[4..]);

    /// <summary>Echo: identifier.</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_bytes[4..]);

    /// <summary>Echo: sequence number.</summary>
    public ushort Sequence => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);

    /// <summary>Writes type, code, a zero checksum and the type-specific word into the first <see cref="Size"/> bytes.</summary>
    public static void Encode(Span<byte> destination, byte type, byte code, uint word = 0)
    {
        destination[0] = type;
        destination[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(destination[ChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], word);
    }

    /// <summary>The Internet checksum of a whole message with the IPv6 pseudo-header (RFC 4443 section 2.3).</summary>
    public static ushort ComputeChecksum(Address source, Address destination, ReadOnlySpan<byte> message) =>
        Headers.Checksum.Compute(message, Headers.Checksum.PseudoHeaderSum(source, destination, Icmpv6Type.Protocol, message.Length));
}
