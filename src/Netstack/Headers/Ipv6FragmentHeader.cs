using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>The IPv6 Fragment header (RFC 8200 section 4.5), 8 bytes, read and written in place.</summary>
public readonly ref struct Ipv6FragmentHeader
{
    /// <summary>Length of the header.</summary>
    public const int Size = 8;

    /// <summary>Offset of the Fragment Offset field (for Parameter Problem pointers).</summary>
    public const int FragmentOffsetOffset = 2;

    private readonly Span<byte> _bytes;

    private Ipv6FragmentHeader(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views the first <see cref="Size"/> bytes; false when there are fewer.</summary>
    public static bool TryParse(Span<byte> bytes, out Ipv6FragmentHeader header)
    {
        if (bytes.Length < Size)
        {
            header = default;
            return false;
        }
        header = new Ipv6FragmentHeader(bytes[..Size]);
        return true;
    }

    /// <summary>The type of the header that follows in the fragmentable part.</summary>
    public byte NextHeader => _bytes[0];

    /// <summary>Offset of this fragment's data in the original fragmentable part, in bytes (a multiple of 8).</summary>
    public int FragmentOffset => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]) & 0xFFF8;

    /// <summary>The M flag: more fragments follow.</summary>
    public bool MoreFragments => (_bytes[3] & 1) != 0;

    /// <summary>The identification shared by every fragment of one packet.</summary>
    public uint Identification => BinaryPrimitives.ReadUInt32BigEndian(_bytes[4..]);

    /// <summary>True for an atomic fragment (offset 0, no more fragments): a whole packet with a fragment header (RFC 6946).</summary>
    public bool IsAtomic => FragmentOffset == 0 && !MoreFragments;

    /// <summary>Writes a header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="nextHeader">The header that follows.</param>
    /// <param name="fragmentOffset">Byte offset of the fragment's data; a multiple of 8.</param>
    /// <param name="moreFragments">The M flag.</param>
    /// <param name="identification">The packet's identification.</param>
    public static void Encode(Span<byte> destination, byte nextHeader, int fragmentOffset, bool moreFragments, uint identification)
    {
        destination[0] = nextHeader;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)((fragmentOffset & 0xFFF8) | (moreFragments ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], identification);
    }
}
