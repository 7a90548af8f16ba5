using System.Buffers.Binary;
using Netstack.Headers;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// A TCP segment as a test writes or reads it, with an IPv4 header, encoded and decoded independently of
/// the stack's own header code (checksums cross-checked with PacketDotNet when read).
/// </summary>
internal sealed record TestSegment
{
    public Address Source { get; init; } = Address.V4(10, 0, 0, 2);
    public Address Destination { get; init; } = Address.V4(10, 0, 0, 1);
    public ushort SourcePort { get; init; }
    public ushort DestinationPort { get; init; }
    public uint Seq { get; init; }
    public uint Ack { get; init; }
    public TcpFlags Flags { get; init; }
    public ushort Window { get; init; } = 65535;
    public byte[] Options { get; init; } = [];
    public byte[] Payload { get; init; } = [];
    public bool CorruptChecksum { get; init; }

    /// <summary>The frame it was decoded from (segments the stack sent).</summary>
    public byte[] Raw { get; init; } = [];

    public bool Has(TcpFlags f) => (Flags & f) == f;

    public TcpOptions ParsedOptions => TcpOptions.Parse(Options);

    public int SequenceLength => Payload.Length + (Has(TcpFlags.Syn) ? 1 : 0) + (Has(TcpFlags.Fin) ? 1 : 0);

    public byte[] ToFrame()
    {
        var options = Options;
        int optLen = (options.Length + 3) & ~3;
        int tcpLen = 20 + optLen + Payload.Length;
        var frame = new byte[20 + tcpLen];
        var ip = frame.AsSpan(0, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)frame.Length);
        ip[8] = 64;
        ip[9] = 6;
        Source.WriteTo(ip[12..]);
        Destination.WriteTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
        var tcp = frame.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], Seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], Ack);
        tcp[12] = (byte)((20 + optLen) / 4 << 4);
        tcp[13] = (byte)Flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], Window);
        options.CopyTo(tcp[20..]);
        Payload.CopyTo(tcp[(20 + optLen)..]);
        ushort sum = Checksum.Compute(tcp, Checksum.PseudoHeaderSum(Source, Destination, 6, tcpLen));
        if (CorruptChecksum)
        {
            sum ^= 0x5555;
        }
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], sum);
        return frame;
    }

    /// <summary>Decodes an IPv4+TCP frame the stack sent; checks both checksums (and TCP's with PacketDotNet too).</summary>
    public static TestSegment FromFrame(byte[] frame)
    {
        Assert.Equal(0x45, frame[0]);
        Assert.True(Checksum.IsValid(frame.AsSpan(0, 20)), "IPv4 header checksum");
        int total = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2));
        Assert.Equal(frame.Length, total);
        Assert.Equal(6, frame[9]);
        var src = Address.ReadV4(frame.AsSpan(12));
        var dst = Address.ReadV4(frame.AsSpan(16));
        var tcp = frame.AsSpan(20);
        Assert.True(Checksum.IsValid(tcp, Checksum.PseudoHeaderSum(src, dst, 6, tcp.Length)), "TCP checksum");
        var parsed = PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Raw, frame);
        var tcpPacket = parsed.Extract<PacketDotNet.TcpPacket>();
        Assert.NotNull(tcpPacket);
        Assert.True(tcpPacket.ValidTcpChecksum, "PacketDotNet TCP checksum");
        int hl = (tcp[12] >> 4) * 4;
        return new TestSegment
        {
            Raw = frame,
            Source = src,
            Destination = dst,
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(tcp),
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]),
            Seq = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]),
            Ack = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            Flags = (TcpFlags)tcp[13],
            Window = BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]),
            Options = tcp[20..hl].ToArray(),
            Payload = tcp[hl..].ToArray(),
        };
    }

    public override string ToString() =>
        $"{SourcePort}->{DestinationPort} [{Flags}] seq={Seq} ack={Ack} win={Window} len={Payload.Length}";

    /// <summary>
    /// An ICMPv4 "fragmentation needed" (3/4) from <paramref name="router"/> about <paramref name="offending"/>
    /// (a frame the stack sent), announcing <paramref name="mtu"/> (RFC 1191).
    /// </summary>
    public static byte[] FragmentationNeeded(byte[] offending, int mtu, Address router, Address to)
    {
        int quoted = Math.Min(offending.Length, 28);
        var frame = new byte[20 + 8 + quoted];
        var ip = frame.AsSpan(0, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)frame.Length);
        ip[8] = 64;
        ip[9] = 1;
        router.WriteTo(ip[12..]);
        to.WriteTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
        var icmp = frame.AsSpan(20);
        icmp[0] = 3;
        icmp[1] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], (ushort)mtu);
        offending.AsSpan(0, quoted).CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp));
        return frame;
    }

    /// <summary>Option bytes: MSS, SACK-permitted, timestamps, window scale, as a peer's SYN would carry them.</summary>
    public static byte[] SynOptions(ushort mss = 1460, int windowScale = -1, bool sackPermitted = false, uint? tsVal = null, uint tsEcr = 0)
    {
        var list = new List<byte> { 2, 4, (byte)(mss >> 8), (byte)mss };
        if (sackPermitted)
        {
            list.AddRange([1, 1, 4, 2]);
        }
        if (tsVal is { } v)
        {
            list.AddRange([1, 1, 8, 10]);
            list.AddRange(BigEndian(v));
            list.AddRange(BigEndian(tsEcr));
        }
        if (windowScale >= 0)
        {
            list.AddRange([1, 3, 3, (byte)windowScale]);
        }
        return [.. list];
    }

    public static byte[] TimestampOption(uint tsVal, uint tsEcr)
    {
        var list = new List<byte> { 1, 1, 8, 10 };
        list.AddRange(BigEndian(tsVal));
        list.AddRange(BigEndian(tsEcr));
        return [.. list];
    }

    public static byte[] SackOption(params (uint Start, uint End)[] blocks)
    {
        var list = new List<byte> { 1, 1, 5, (byte)(2 + 8 * blocks.Length) };
        foreach (var (s, e) in blocks)
        {
            list.AddRange(BigEndian(s));
            list.AddRange(BigEndian(e));
        }
        return [.. list];
    }

    private static byte[] BigEndian(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }
}
