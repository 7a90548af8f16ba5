using Netstack.Headers;

namespace Netstack.Tests.Infrastructure;

/// <summary>Test frame builders.</summary>
public static class Frames
{
    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>An Ethernet frame: header then <paramref name="payload"/>.</summary>
    public static byte[] Ethernet(LinkAddress dst, LinkAddress src, ushort type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[EthernetHeader.Size + payload.Length];
        EthernetHeader.Encode(frame, dst, src, type);
        payload.CopyTo(frame.AsSpan(EthernetHeader.Size));
        return frame;
    }

    /// <summary>Random bytes that read as IPv4 by the version nibble.</summary>
    public static byte[] Ipv4Like(int length, int seed)
    {
        var b = Random(length, seed);
        b[0] = 0x45;
        return b;
    }
}
