using Netstack.Interop;
using Netstack.Link.FdBased;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

/// <summary>gVisor's TestDeliverPacket for every dispatch mode a socketpair supports, and its buffer-layout tests.</summary>
public class DeliverPacketTests
{
    private static readonly LinkAddress Laddr = LinkAddress.Parse("02:22:33:44:55:66");
    private static readonly LinkAddress Raddr = LinkAddress.Parse("02:88:99:aa:bb:cc");
    private const ushort Proto = 10;

    public static IEnumerable<object[]> Cases()
    {
        foreach (var mode in new[] { PacketDispatchMode.Readv, PacketDispatchMode.RecvMmsg })
        {
            foreach (int type in new[] { SocketNative.SOCK_SEQPACKET, SocketNative.SOCK_DGRAM })
            {
                foreach (bool eth in new[] { true, false })
                {
                    foreach (int len in new[] { 100, 1000, 65000 })
                    {
                        yield return [mode, type, eth, len];
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DeliverPacket(PacketDispatchMode mode, int socketType, bool eth, int payloadLength)
    {
        using var pair = new SocketPair(socketType);
        if (payloadLength > 60000)
        {
            SocketNative.SetInt(pair.Peer, SocketNative.SOL_SOCKET, SocketNative.SO_SNDBUFFORCE, 1 << 20);
        }
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [pair.Local], Address = Laddr, EthernetHeader = eth, PacketDispatchMode = mode, Mtu = 65535,
        });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        var b = Frames.Random(payloadLength, payloadLength);
        byte[] all = b;
        if (eth)
        {
            all = Frames.Ethernet(Laddr, Raddr, Proto, b);
        }
        else
        {
            b[0] = 0x40;
        }
        pair.Send(all);
        var got = recorder.Next();
        Assert.NotNull(got);
        Assert.Equal(eth ? Proto : NetworkProtocolNumber.IPv4, got.Protocol);
        Assert.Equal(b, got.Data);
        if (eth)
        {
            Assert.Equal(all[..14], got.LinkHeader);
            Assert.Equal(Raddr, got.Remote);
            Assert.Equal(Laddr, got.Local);
            Assert.Equal(PacketType.Host, got.Type);
        }
        else
        {
            Assert.Empty(got.LinkHeader);
            Assert.True(got.Remote.IsEmpty);
        }
        Assert.Equal(1, ep.Statistics.PacketsReceived);
        Assert.Equal(all.Length, ep.Statistics.BytesReceived);
    }

    [Theory]
    [InlineData(PacketDispatchMode.Readv)]
    [InlineData(PacketDispatchMode.RecvMmsg)]
    public void Ipv6ByVersionNibbleAndBroadcastFrames(PacketDispatchMode mode)
    {
        using var raw = new SocketPair();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [raw.Local], PacketDispatchMode = mode });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        var v6 = Frames.Random(60, 1);
        v6[0] = 0x60;
        raw.Send(v6);
        Assert.Equal(NetworkProtocolNumber.IPv6, recorder.Next()!.Protocol);

        using var ethPair = new SocketPair();
        using var ethEp = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [ethPair.Local], EthernetHeader = true, Address = Laddr, PacketDispatchMode = mode });
        var ethRecorder = new RecordingDispatcher();
        ethEp.Attach(ethRecorder);
        ethPair.Send(Frames.Ethernet(LinkAddress.Broadcast, Raddr, NetworkProtocolNumber.Arp, new byte[28]));
        ethPair.Send(Frames.Ethernet(LinkAddress.Parse("01:00:5e:00:00:01"), Raddr, NetworkProtocolNumber.IPv4, new byte[28]));
        Assert.Equal(PacketType.Broadcast, ethRecorder.Next()!.Type);
        Assert.Equal(PacketType.Multicast, ethRecorder.Next()!.Type);
    }

    [Fact]
    public void ReceiveLayoutSumsTo65664AndHoldsAMaximalPacket()
    {
        Assert.Equal([128, 256, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768], ReceiveBufferLayout.Sizes);
        Assert.Equal(65664, ReceiveBufferLayout.TotalSize);
        Assert.True(ReceiveBufferLayout.TotalSize >= 65535);
    }

    [Fact]
    public void FirstViewHoldsTheLargestTcpIpHeader() => Assert.True(ReceiveBufferLayout.Sizes[0] >= 120);

    [Theory]
    [InlineData(new[] { 2 }, 1, 1, new[] { 1 })]
    [InlineData(new[] { 1, 2 }, 2, 2, new[] { 1, 1 })]
    [InlineData(new[] { 1, 2 }, 3, 2, new[] { 1, 2 })]
    [InlineData(new[] { 1, 2, 3 }, 3, 2, new[] { 1, 2, 3 })]
    public void ViewsUsedCapsTheLastView(int[] config, int n, int wantUsed, int[] wantLengths)
    {
        var lengths = new int[config.Length];
        Assert.Equal(wantUsed, ReceiveBufferLayout.ViewsUsed(n, config, lengths));
        Assert.Equal(wantLengths, lengths);
    }

    [Theory]
    [InlineData(100, 1)]
    [InlineData(128, 1)]
    [InlineData(129, 2)]
    [InlineData(1500, 5)]
    [InlineData(65535, 10)]
    public void AReceivedPacketTakesOnlyTheChunksItFilled(int size, int views)
    {
        var pool = new Netstack.Buffers.ChunkPool();
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        SocketNative.SetInt(pair.Peer, SocketNative.SOL_SOCKET, SocketNative.SO_SNDBUFFORCE, 1 << 20);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local] }, pool);
        int seen = -1;
        var recorder = new RecordingDispatcher { OnDeliver = (_, p) => seen = p.Views.Length };
        ep.Attach(recorder);
        pair.Send(Frames.Ipv4Like(size, 5));
        Assert.NotNull(recorder.Next());
        Assert.Equal(views, seen);
        ep.Dispose();
        Assert.Equal(0, pool.Outstanding);
    }
}
