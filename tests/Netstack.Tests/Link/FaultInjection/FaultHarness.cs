using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Link.Channel;
using Netstack.Link.FaultInjection;
using Netstack.Stack;

namespace Netstack.Tests.Link.FaultInjection;

/// <summary>
/// A <see cref="FaultInjectingEndpoint"/> over a <see cref="ChannelEndpoint"/>, a recording dispatcher on
/// top, a fake clock and a private chunk pool (so leaks are counted for this test alone).
/// </summary>
internal sealed class FaultHarness : IDisposable
{
    public static readonly LinkAddress LocalMac = LinkAddress.Parse("02:00:00:00:00:01");
    public static readonly LinkAddress PeerMac = LinkAddress.Parse("02:00:00:00:00:02");

    public FaultHarness(FaultOptions options, bool ethernet = false, LinkCapabilities capabilities = LinkCapabilities.None, TimeProvider? time = null)
    {
        Time = time as FakeTimeProvider ?? new FakeTimeProvider();
        Inner = new ChannelEndpoint(1500, ethernet ? LocalMac : default, capabilities, capacity: 100_000);
        Endpoint = new FaultInjectingEndpoint(Inner, options, time ?? Time);
        Endpoint.Attach(Sink);
    }

    public ChunkPool Pool { get; } = new();

    public FakeTimeProvider Time { get; }

    public ChannelEndpoint Inner { get; }

    public FaultInjectingEndpoint Endpoint { get; }

    public RecordingDispatcher Sink { get; } = new();

    /// <summary>An IPv4/UDP packet of <paramref name="size"/> bytes carrying <paramref name="seq"/>, both checksums valid.</summary>
    public static byte[] UdpPacket(int seq, int size = 100)
    {
        var p = new byte[size];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)size);
        p[8] = 64;
        p[9] = 17;
        byte[] src = [10, 0, 0, 1];
        byte[] dst = [10, 0, 0, 2];
        src.CopyTo(p, 12);
        dst.CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), Checksum.Compute(p.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 4000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 5000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(size - 20));
        BinaryPrimitives.WriteInt32BigEndian(p.AsSpan(28), seq);
        for (int i = 32; i < size; i++)
        {
            p[i] = (byte)(i * 7 + seq);
        }
        ushort sum = Checksum.Compute(p.AsSpan(20), UdpPseudoSum(p));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(26), sum == 0 ? (ushort)0xFFFF : sum);
        return p;
    }

    /// <summary>True when both checksums of a packet built by <see cref="UdpPacket"/> still verify.</summary>
    public static bool ChecksumsValid(byte[] p) =>
        Checksum.IsValid(p.AsSpan(0, 20)) && Checksum.IsValid(p.AsSpan(20), UdpPseudoSum(p));

    public static int SeqOf(byte[] packet) => BinaryPrimitives.ReadInt32BigEndian(packet.AsSpan(28));

    /// <summary>Receives <paramref name="packet"/> through the inner endpoint, as the link's reader would.</summary>
    public void Inject(byte[] packet)
    {
        byte[] frame = packet;
        if (Inner.IsEthernet)
        {
            frame = new byte[14 + packet.Length];
            EthernetHeader.Encode(frame, LocalMac, PeerMac, NetworkProtocolNumber.IPv4);
            packet.CopyTo(frame, 14);
        }
        var pkt = PacketBuffer.Rent(0, frame, Pool);
        Assert.True(Inner.InjectFrame(pkt));
        pkt.Release();
    }

    public void Inject(int seq, int size = 100) => Inject(UdpPacket(seq, size));

    /// <summary>A packet ready for <see cref="ILinkEndpoint.WritePackets"/>, headers pushed as the IP layer would.</summary>
    public PacketBuffer Outbound(int seq, int size = 100)
    {
        var bytes = UdpPacket(seq, size);
        var pkt = PacketBuffer.Rent(Endpoint.MaxHeaderLength + 28, bytes.AsSpan(28), Pool);
        bytes.AsSpan(20, 8).CopyTo(pkt.PushHeader(HeaderKind.Transport, 8));
        bytes.AsSpan(0, 20).CopyTo(pkt.PushHeader(HeaderKind.Network, 20));
        pkt.NetworkProtocol = NetworkProtocolNumber.IPv4;
        pkt.RemoteLinkAddress = PeerMac;
        return pkt;
    }

    /// <summary>Sends one packet; the sender releases its reference at once.</summary>
    public WriteResult Send(int seq, int size = 100)
    {
        var pkt = Outbound(seq, size);
        try
        {
            return Endpoint.WritePackets([pkt]);
        }
        finally
        {
            pkt.Release();
        }
    }

    /// <summary>Network-layer bytes of every frame the inner endpoint was given so far.</summary>
    public List<byte[]> TakeSent()
    {
        var list = new List<byte[]>();
        while (Inner.TryReadOutbound() is { } frame)
        {
            var bytes = frame.ToArray();
            list.Add(Inner.IsEthernet ? bytes[14..] : bytes);
            frame.Release();
        }
        return list;
    }

    public void Advance(double milliseconds) => Time.Advance(TimeSpan.FromMilliseconds(milliseconds));

    /// <summary>Disposes everything and checks that every chunk went back to the pool.</summary>
    public void Dispose()
    {
        Endpoint.Dispose();
        Sink.Clear();
        Assert.Equal(0, Pool.Outstanding);
    }

    private static ushort UdpPseudoSum(byte[] p)
    {
        Span<byte> pseudo = stackalloc byte[12];
        p.AsSpan(12, 8).CopyTo(pseudo);
        pseudo[9] = 17;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)(p.Length - 20));
        return Checksum.Sum(pseudo);
    }
}

/// <summary>Records what reaches the stack: protocol, network-layer bytes, and the packet's flags.</summary>
internal sealed class RecordingDispatcher : INetworkDispatcher
{
    private readonly Lock _gate = new();
    private readonly List<Delivery> _deliveries = new();

    public IReadOnlyList<Delivery> Deliveries
    {
        get
        {
            lock (_gate)
            {
                return _deliveries.ToArray();
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _deliveries.Count;
            }
        }
    }

    public List<int> Seqs => Deliveries.Select(d => FaultHarness.SeqOf(d.Bytes)).ToList();

    public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet)
    {
        var all = packet.ToArray();
        var link = packet.LinkHeader.ToArray();
        // Consume the network header as the IP layer would, so a second delivery of the same object would show.
        Assert.True(packet.TryConsumeHeader(HeaderKind.Network, 20, out _));
        lock (_gate)
        {
            _deliveries.Add(new Delivery(protocol, all[link.Length..], link, packet, packet.RxChecksumValidated));
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _deliveries.Clear();
        }
    }

    public readonly record struct Delivery(ushort Protocol, byte[] Bytes, byte[] LinkHeader, PacketBuffer Packet, bool RxChecksumValidated);
}
