using System.Numerics;

namespace Netstack.Link.FaultInjection;

/// <summary>
/// xoshiro256** (Blackman and Vigna, 2018): a small, fast generator whose sequence depends only on its
/// seed, so a fault pattern replays exactly. Seeded through SplitMix64, as its authors recommend, so
/// that nearby seeds give unrelated streams. Not thread-safe; not for cryptography.
/// </summary>
internal struct Xoshiro256
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates the stream for <paramref name="seed"/>.</summary>
    public Xoshiro256(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>
    /// True with probability <paramref name="threshold"/> / 2^53 (see <see cref="Threshold"/>): the top
    /// 53 bits of the next draw are compared, so probability 1 is always true and 0 always false.
    /// </summary>
    public bool Chance(ulong threshold) => (NextUInt64() >> 11) < threshold;

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) without modulo bias (Lemire's multiply-shift).</summary>
    public int NextInt(int bound)
    {
        ulong product = (ulong)(uint)(NextUInt64() >> 32) * (uint)bound;
        uint low = (uint)product;
        if (low < (uint)bound)
        {
            uint reject = (uint)-bound % (uint)bound;
            while (low < reject)
            {
                product = (ulong)(uint)(NextUInt64() >> 32) * (uint)bound;
                low = (uint)product;
            }
        }
        return (int)(product >> 32);
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>The <see cref="Chance"/> threshold for probability <paramref name="probability"/> (0..1).</summary>
    public static ulong Threshold(double probability) => (ulong)Math.Round(probability * (1UL << 53));

    /// <summary>One SplitMix64 step: mixes <paramref name="state"/> into a well-spread 64-bit value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
