using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>
/// Sums the Internet checksum over bytes that arrive in pieces (the views of a packet), handling pieces of
/// odd length: a piece that starts at an odd offset of the whole is summed byte-swapped (RFC 1071, 2(B)).
/// </summary>
public struct ChecksumAccumulator
{
    private ulong _sum; // little-endian domain
    private bool _odd;

    /// <summary>Starts from a folded big-endian sum, such as a pseudo-header sum.</summary>
    public ChecksumAccumulator(ushort initial)
    {
        _sum = BinaryPrimitives.ReverseEndianness(initial);
        _odd = false;
    }

    /// <summary>Adds the next piece of the byte stream.</summary>
    public void Add(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        ulong s = Checksum.SumLittleEndian(data);
        if (_odd)
        {
            // Swap the bytes of the folded piece sum: it is shifted by one byte in the whole.
            ushort folded = FoldToUInt16(s);
            s = (ulong)(ushort)((folded << 8) | (folded >> 8));
        }
        _sum += s;
        if ((data.Length & 1) != 0)
        {
            _odd = !_odd;
        }
    }

    /// <summary>The folded big-endian sum so far (not complemented).</summary>
    public readonly ushort Sum => BinaryPrimitives.ReverseEndianness(FoldToUInt16(_sum));

    private static ushort FoldToUInt16(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }
}
