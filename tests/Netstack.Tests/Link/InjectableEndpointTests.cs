using Netstack.Buffers;
using Netstack.Link.FdBased;
using Netstack.Stack;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

public class InjectableEndpointTests
{
    [Fact]
    public void InjectInboundDeliversWhileAttachedAndDropsWhileDetached()
    {
        using var pair = new SocketPair();
        using var ep = new InjectableEndpoint(pair.Local, 1500, LinkCapabilities.RxChecksumOffload);
        var pkt = PacketBuffer.Rent(0, Frames.Ipv4Like(40, 1));
        Assert.False(ep.InjectInbound(NetworkProtocolNumber.IPv4, pkt));
        Assert.Equal(1, ep.Statistics.Drops(DropReason.NotAttached));
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        Assert.True(ep.InjectInbound(NetworkProtocolNumber.IPv4, pkt));
        Assert.Equal(Frames.Ipv4Like(40, 1), recorder.Next()!.Data);
        ep.Attach(null);
        Assert.False(ep.InjectInbound(NetworkProtocolNumber.IPv4, pkt));
        pkt.Release();
        Assert.Equal(1500, ep.Mtu);
        Assert.Equal(LinkCapabilities.RxChecksumOffload, ep.Capabilities);
    }

    [Fact]
    public void InjectOutboundAndWritePacketsWriteToTheFdAndNothingIsRead()
    {
        using var pair = new SocketPair();
        using var ep = new InjectableEndpoint(pair.Local, 1500, LinkCapabilities.None);
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        Assert.Equal(TcpipError.None, ep.InjectOutbound(Address.Parse("10.0.0.1"), Frames.Ipv4Like(30, 1)));
        Assert.Equal(Frames.Ipv4Like(30, 1), pair.Receive());
        var pkt = WritePacketTests.Packet(Frames.Ipv4Like(50, 2), 0);
        Assert.True(ep.WritePackets([pkt]).Ok);
        pkt.Release();
        Assert.Equal(Frames.Ipv4Like(50, 2), pair.Receive());
        pair.Send(Frames.Ipv4Like(30, 3));
        Assert.Null(recorder.Next(0.3));
    }
}
