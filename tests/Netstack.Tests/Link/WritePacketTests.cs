using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Interop;
using Netstack.Link.FdBased;
using Netstack.Stack;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

/// <summary>gVisor's TestWritePacket / TestHashedWritePacket / TestPreserveSrcAddress, in our API, and more send cases.</summary>
public class WritePacketTests
{
    private static readonly LinkAddress Laddr = LinkAddress.Parse("02:22:33:44:55:66");
    private static readonly LinkAddress Raddr = LinkAddress.Parse("02:88:99:aa:bb:cc");
    private const ushort Proto = 10;
    private const ushort CsumOffset = 48;
    private const ushort GsoMss = 500;

    public static IEnumerable<object[]> Matrix()
    {
        foreach (bool eth in new[] { true, false })
        {
            foreach (int len in new[] { 0, 100, 1000 })
            {
                foreach (int gso in new[] { 0, 32768 })
                {
                    foreach (uint hash in new uint[] { 0, 1 })
                    {
                        yield return [eth, len, gso, hash];
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void WritePacket(bool eth, int payloadLength, int gsoMaxSize, uint hash)
    {
        using var first = new SocketPair();
        using var second = new SocketPair();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [first.Local, second.Local], Address = Laddr, Mtu = 1500, EthernetHeader = eth, GsoMaxSize = gsoMaxSize,
        });
        var header = Frames.Random(100, 1);
        var payload = Frames.Random(payloadLength, 2);
        var pkt = PacketBuffer.Rent(ep.MaxHeaderLength + 100, payload);
        header.CopyTo(pkt.PushHeader(HeaderKind.Network, 100));
        pkt.RemoteLinkAddress = Raddr;
        pkt.NetworkProtocol = Proto;
        pkt.Hash = hash;
        if (gsoMaxSize != 0)
        {
            pkt.Gso = new GsoOptions
            {
                Type = GsoType.TcpV6, NeedsChecksum = true, ChecksumOffset = CsumOffset, Mss = GsoMss, MaxSize = gsoMaxSize, L3HeaderLength = 60,
            };
        }
        var result = ep.WritePackets([pkt]);
        pkt.Release();
        Assert.Equal(new WriteResult(1, TcpipError.None), result);

        var b = SocketPair.ReadFrom(hash % 2 == 0 ? first.Peer : second.Peer)!;
        Assert.NotNull(b);
        if (gsoMaxSize != 0)
        {
            Assert.True(VirtioNetHeader.TryRead(b, out var vnet));
            Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, vnet.Flags & VirtioNetHeader.FlagNeedsChecksum);
            // Ours: the real link header length (gVisor always adds 14).
            Assert.Equal((eth ? 14 : 0) + 60, vnet.ChecksumStart);
            Assert.Equal(CsumOffset, vnet.ChecksumOffset);
            Assert.Equal(GsoMss < payloadLength ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoNone, vnet.GsoType);
            Assert.Equal((eth ? 14 : 0) + 100, vnet.HeaderLength);
            b = b[VirtioNetHeader.Size..];
        }
        if (eth)
        {
            Assert.True(EthernetHeader.TryParse(b, out var h));
            Assert.Equal(Laddr, h.Source);
            Assert.Equal(Raddr, h.Destination);
            Assert.Equal(Proto, h.EtherType);
            b = b[14..];
        }
        Assert.Equal([.. header, .. payload], b);
        Assert.Equal(1, ep.Statistics.PacketsSent);
    }

    [Fact]
    public void PreserveSourceAddress()
    {
        var baddr = LinkAddress.Parse("0a:bb:aa:77:88:99");
        using var pair = new SocketPair();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], Address = Laddr, EthernetHeader = true });
        var pkt = PacketBuffer.Rent(ep.MaxHeaderLength, 0);
        pkt.RemoteLinkAddress = Raddr;
        pkt.LocalLinkAddress = baddr;
        pkt.NetworkProtocol = Proto;
        Assert.True(ep.WritePackets([pkt]).Ok);
        pkt.Release();
        var b = pair.Receive()!;
        Assert.True(EthernetHeader.TryParse(b, out var h));
        Assert.Equal(baddr, h.Source);
        // PacketDotNet agrees on the frame.
        var decoded = (PacketDotNet.EthernetPacket)PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Ethernet, b);
        Assert.Equal("0ABBAA778899", decoded.SourceHardwareAddress.ToString());
        Assert.Equal("028899AABBCC", decoded.DestinationHardwareAddress.ToString());
    }

    [Fact]
    public void BatchOfManyPacketsAlternatingFdsArrivesInOrderPerFd()
    {
        using var first = new SocketPair();
        using var second = new SocketPair();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [first.Local, second.Local] });
        // 100 on fd 0 (more than one sendmmsg of 47), then 3 on fd 1, then 2 on fd 0.
        var hashes = Enumerable.Repeat(0u, 100).Concat([1u, 1u, 1u, 0u, 0u]).ToArray();
        var packets = hashes.Select((h, i) => Packet(Frames.Ipv4Like(64, i), h)).ToArray();
        var result = ep.WritePackets(packets);
        foreach (var p in packets)
        {
            p.Release();
        }
        Assert.Equal(new WriteResult(packets.Length, TcpipError.None), result);
        for (int i = 0; i < packets.Length; i++)
        {
            var got = SocketPair.ReadFrom(hashes[i] == 0 ? first.Peer : second.Peer)!;
            Assert.Equal(Frames.Ipv4Like(64, i), got);
        }
    }

    [Fact]
    public void PacketWithMoreThanIovMaxViewsIsSentWhole()
    {
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local] });
        var pkt = PacketBuffer.Rent(0, Frames.Ipv4Like(20, 1));
        var expected = new List<byte>(Frames.Ipv4Like(20, 1));
        for (int i = 0; i < 1500; i++)
        {
            byte[] piece = [(byte)i, (byte)(i >> 8)];
            pkt.AppendCopy(piece);
            expected.AddRange(piece);
        }
        Assert.True(pkt.Views.Length > FileNative.IOV_MAX);
        Assert.True(ep.WritePackets([pkt]).Ok);
        pkt.Release();
        Assert.Equal(expected.ToArray(), pair.Receive());
    }

    [Fact]
    public void ZeroLengthPacketIsDroppedAndCountedNotCrashing()
    {
        using var pair = new SocketPair();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local] });
        var empty = PacketBuffer.Rent(0, 0);
        var real = Packet(Frames.Ipv4Like(40, 3), 0);
        var result = ep.WritePackets([empty, real, empty]);
        Assert.Equal(new WriteResult(3, TcpipError.None), result);
        Assert.Equal(2, ep.Statistics.Drops(DropReason.EmptyOutbound));
        Assert.Equal(Frames.Ipv4Like(40, 3), pair.Receive());
        empty.Release();
        real.Release();
    }

    [Fact]
    public void WouldBlockIsReportedWithTheCountWritten()
    {
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        pair.SetLocalSendBuffer(4096);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local] });
        var packets = Enumerable.Range(0, 47).Select(i => Packet(Frames.Ipv4Like(1400, i), 0)).ToArray();
        WriteResult result = default;
        for (int round = 0; round < 100 && result.Ok; round++)
        {
            result = ep.WritePackets(packets);
        }
        foreach (var p in packets)
        {
            p.Release();
        }
        Assert.Contains(result.Error, new[] { TcpipError.WouldBlock, TcpipError.NoBufferSpace });
        Assert.InRange(result.Written, 0, packets.Length - 1);
        Assert.True(ep.Statistics.WriteErrors > 0);
    }

    [Fact]
    public void ShortWriteOnAPipeIsDetected()
    {
        using var pipe = new Pipe();
        Assert.True(FileNative.Fcntl(pipe.Write, FileNative.F_SETPIPE_SZ, 4096) >= 4096);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pipe.Write] });
        var pkt = Packet(Frames.Ipv4Like(6000, 1), 0);
        var result = ep.WritePackets([pkt]);
        pkt.Release();
        Assert.Equal(TcpipError.MessageTooLong, result.Error);
        Assert.Equal(1, ep.Statistics.ShortWrites);
    }

    [Fact]
    public void WritevIsUsedOnNonSockets()
    {
        using var pipe = new Pipe();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pipe.Write], EthernetHeader = true, Address = Laddr });
        var pkt = Packet(Frames.Random(50, 9), 0);
        pkt.RemoteLinkAddress = Raddr;
        pkt.NetworkProtocol = NetworkProtocolNumber.IPv4;
        Assert.True(ep.WritePackets([pkt, pkt]).Ok);
        pkt.Release();
        var got = SocketPair.ReadFrom(pipe.Read)!;
        Assert.Equal(2 * 64, got.Length);
    }

    internal static PacketBuffer Packet(byte[] bytes, uint hash)
    {
        var pkt = PacketBuffer.Rent(64, bytes);
        pkt.Hash = hash;
        pkt.NetworkProtocol = NetworkProtocolNumber.IPv4;
        return pkt;
    }
}
