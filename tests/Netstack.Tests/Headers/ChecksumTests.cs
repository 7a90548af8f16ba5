using CsCheck;
using Netstack.Headers;

namespace Netstack.Tests.Headers;

public class ChecksumTests
{
    // Straightforward RFC 1071 reference: big-endian 16-bit words, end-around carry.
    private static ushort Reference(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8 | data[i + 1]);
        }
        if ((data.Length & 1) != 0)
        {
            sum += (uint)data[^1] << 8;
        }
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)sum;
    }

    [Fact]
    public void MatchesTheReferenceForAnyBytes() =>
        Gen.Byte.Array[0, 3000].Sample(bytes => Assert.Equal(Reference(bytes), Checksum.Sum(bytes)));

    [Fact]
    public void AccumulatorOverPiecesMatchesTheWhole() =>
        Gen.Select(Gen.Byte.Array[0, 600], Gen.Int[0, 600], Gen.Int[0, 600]).Sample((bytes, a, b) =>
        {
            int x = Math.Min(a, bytes.Length);
            int y = Math.Min(Math.Max(x, b), bytes.Length);
            var acc = new ChecksumAccumulator(0);
            acc.Add(bytes.AsSpan(0, x));
            acc.Add(bytes.AsSpan(x, y - x));
            acc.Add(bytes.AsSpan(y));
            Assert.Equal(Reference(bytes), acc.Sum);
        });

    [Fact]
    public void Rfc1071Example()
    {
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xddf2, Checksum.Sum(data));
        Assert.Equal(0x220d, Checksum.Compute(data));
    }
}
