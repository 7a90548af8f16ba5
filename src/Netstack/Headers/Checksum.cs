using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Netstack.Headers;

/// <summary>
/// The Internet checksum (RFC 1071): a one's-complement sum of 16-bit big-endian words. Sums are
/// returned folded to 16 bits as big-endian values (0x1234 means the bytes 12 34), not yet complemented;
/// <see cref="Finish"/> complements. Sums combine with <see cref="Combine"/>, so a header and its
/// payload can be summed separately.
/// </summary>
public static class Checksum
{
    /// <summary>The folded sum of <paramref name="data"/> added to <paramref name="initial"/>.</summary>
    public static ushort Sum(ReadOnlySpan<byte> data, ushort initial = 0)
    {
        // One's-complement addition does not care about byte order (RFC 1071, 2(B)): sum little-endian
        // words and swap the result once.
        ulong sum = BinaryPrimitives.ReverseEndianness(initial) + SumLittleEndian(data);
        return BinaryPrimitives.ReverseEndianness(Fold(sum));
    }

    /// <summary>The checksum field value for <paramref name="data"/>: the complement of its sum.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data, ushort initial = 0) => Finish(Sum(data, initial));

    /// <summary>One's-complement addition of two folded sums.</summary>
    public static ushort Combine(ushort a, ushort b)
    {
        uint s = (uint)a + b;
        return (ushort)((s & 0xFFFF) + (s >> 16));
    }

    /// <summary>The field value for a folded sum: its complement.</summary>
    public static ushort Finish(ushort sum) => (ushort)~sum;

    /// <summary>
    /// The folded sum of the TCP/UDP/ICMPv6 pseudo-header: source, destination, protocol and length
    /// (RFC 793 section 3.1 for IPv4, RFC 8200 section 8.1 for IPv6).
    /// </summary>
    public static ushort PseudoHeaderSum(Address source, Address destination, byte protocol, int length)
    {
        ulong sum = AddressSum(source) + AddressSum(destination) + protocol + (uint)(length & 0xFFFF) + (uint)(length >> 16);
        return FoldBigEndian(sum);
    }

    /// <summary>Whether <paramref name="data"/> (with its checksum field in place) plus <paramref name="initial"/> sums to all ones.</summary>
    public static bool IsValid(ReadOnlySpan<byte> data, ushort initial = 0) => Sum(data, initial) == 0xFFFF;

    private static ulong AddressSum(Address a) => a.IsV4
        ? (a.V4Value >> 16) + (a.V4Value & 0xFFFF)
        : WordSum(a.High) + WordSum(a.Low);

    private static ulong WordSum(ulong v) => (v >> 48) + ((v >> 32) & 0xFFFF) + ((v >> 16) & 0xFFFF) + (v & 0xFFFF);

    private static ushort FoldBigEndian(ulong sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)sum;
    }

    private static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    internal static ulong SumLittleEndian(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        // Each 64-bit word is added as two 32-bit halves so the 64-bit accumulator cannot overflow
        // for any packet size we handle.
        foreach (ulong w in words)
        {
            ulong v = BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w);
            sum += (v & 0xFFFF_FFFF) + (v >> 32);
        }
        var rest = data[(words.Length * 8)..];
        if (rest.Length >= 4)
        {
            sum += BinaryPrimitives.ReadUInt32LittleEndian(rest);
            rest = rest[4..];
        }
        if (rest.Length >= 2)
        {
            sum += BinaryPrimitives.ReadUInt16LittleEndian(rest);
            rest = rest[2..];
        }
        if (rest.Length == 1)
        {
            sum += rest[0];
        }
        return sum;
    }
}
