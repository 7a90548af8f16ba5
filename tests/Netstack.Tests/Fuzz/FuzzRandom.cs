using CsCheck;

namespace Netstack.Tests.Fuzz;

/// <summary>The fuzzer's randomness: a CsCheck <see cref="PCG"/> (so a case replays from its seed) with the helpers generators need.</summary>
internal sealed class FuzzRandom(PCG pcg)
{
    private static readonly byte[] InterestingBytes = [0, 1, 2, 4, 5, 7, 8, 0x0F, 0x10, 0x3F, 0x40, 0x7F, 0x80, 0xC0, 0xFE, 0xFF];

    public int Int(int maxExclusive) => maxExclusive <= 1 ? 0 : (int)pcg.Next((uint)maxExclusive);

    public int Int(int min, int maxInclusive) => min + Int(maxInclusive - min + 1);

    public uint UInt() => pcg.Next();

    public ulong ULong() => pcg.Next64();

    public bool Chance(double p) => pcg.Next() < p * uint.MaxValue;

    public T PickFrom<T>(IReadOnlyList<T> items) => items[Int(items.Count)];

    public T Pick<T>(params T[] items) => items[Int(items.Length)];

    public byte Byte() => (byte)pcg.Next(256);

    public byte InterestingByte() => Chance(0.5) ? Pick(InterestingBytes) : Byte();

    public byte[] Bytes(int length)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            b[i] = Byte();
        }
        return b;
    }

    /// <summary>A length skewed towards small values (most packets are small; a few are huge).</summary>
    public int Length(int max)
    {
        int bucket = Int(10);
        int limit = bucket < 5 ? 64 : bucket < 8 ? 600 : bucket < 9 ? 1600 : max;
        return Int(Math.Min(limit, max) + 1);
    }

    /// <summary>A 16-bit value from the boundary cases of a length or offset field, or anything.</summary>
    public ushort InterestingUShort(int near) => Int(8) switch
    {
        0 => 0,
        1 => 0xFFFF,
        2 => (ushort)Math.Clamp(near + Int(-8, 8), 0, 0xFFFF),
        3 => (ushort)(1 << Int(16)),
        4 => (ushort)((1 << Int(16)) - 1),
        5 => 0x7FFF,
        6 => (ushort)Int(0, 64),
        _ => (ushort)UInt(),
    };
}
