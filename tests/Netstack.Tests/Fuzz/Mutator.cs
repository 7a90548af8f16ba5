using System.Buffers.Binary;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// Structure-blind mutations of a valid frame, biased towards the header bytes where parsers live: bit flips,
/// interesting bytes and 16-bit values (lengths, offsets), truncation, extension, insertion and deletion.
/// </summary>
internal static class Mutator
{
    public static byte[] Mutate(FuzzRandom r, byte[] frame, int count)
    {
        var bytes = frame;
        for (int i = 0; i < count; i++)
        {
            bytes = MutateOnce(r, bytes);
        }
        return bytes;
    }

    private static byte[] MutateOnce(FuzzRandom r, byte[] b)
    {
        switch (r.Int(10))
        {
            case 0:
            case 1:
                if (b.Length > 0)
                {
                    int at = Offset(r, b.Length);
                    b[at] ^= (byte)(1 << r.Int(8));
                }
                return b;
            case 2:
            case 3:
                if (b.Length > 0)
                {
                    b[Offset(r, b.Length)] = r.InterestingByte();
                }
                return b;
            case 4:
            case 5:
                if (b.Length > 1)
                {
                    int at = Offset(r, b.Length - 1) & ~1;
                    int current = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at));
                    BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), r.InterestingUShort(r.Chance(0.5) ? current : b.Length - at));
                }
                return b;
            case 6:
                return b.Length == 0 ? b : b[..r.Int(b.Length)];
            case 7:
                return [.. b, .. r.Chance(0.5) ? new byte[r.Int(1, 64)] : r.Bytes(r.Int(1, 64))];
            case 8:
            {
                int at = r.Int(b.Length + 1);
                return [.. b.AsSpan(0, at), .. r.Bytes(r.Int(1, 16)), .. b.AsSpan(at)];
            }
            default:
            {
                if (b.Length == 0)
                {
                    return b;
                }
                int at = r.Int(b.Length);
                int n = Math.Min(b.Length - at, r.Int(1, 16));
                return [.. b.AsSpan(0, at), .. b.AsSpan(at + n)];
            }
        }
    }

    // Three times in four, somewhere in the first 80 bytes (link, network and transport headers).
    private static int Offset(FuzzRandom r, int length) => r.Chance(0.75) ? r.Int(Math.Min(length, 80)) : r.Int(length);
}
