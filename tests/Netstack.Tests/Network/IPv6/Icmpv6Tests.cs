using System.Buffers.Binary;
using Netstack.Stack;
using PacketDotNet;
using static Netstack.Tests.Network.IPv6.Ipv6TestHost;
using static Netstack.Tests.Network.IPv6.V6Packets;

namespace Netstack.Tests.Network.IPv6;

public sealed class Icmpv6Tests : IDisposable
{
    private static readonly Address Router = Address.Parse("fe80::1");
    private readonly Ipv6TestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void EchoRequestGetsAnEchoReplyWithTheSameIdSequenceAndData()
    {
        var data = "abcdefghijklmnopqrstuvwxyz"u8.ToArray();
        _host.Receive(Ipv6(Peer, Global, 58, EchoRequest(Peer, Global, 0x1234, 7, data)));

        var reply = Assert.Single(_host.Sent());
        Assert.Equal(Global, Address.FromIPAddress(reply.SourceAddress));
        Assert.Equal(Peer, Address.FromIPAddress(reply.DestinationAddress));
        Assert.Equal(64, reply.HopLimit);
        var icmp = (IcmpV6Packet)reply.PayloadPacket;
        Assert.Equal(IcmpV6Type.EchoReply, icmp.Type);
        Assert.True(icmp.ValidIcmpChecksum);
        var bytes = icmp.Bytes;
        Assert.Equal(0x1234, ReadU16(bytes, 4));
        Assert.Equal(7, ReadU16(bytes, 6));
        Assert.Equal(data, bytes[8..]);
        Assert.Equal(1, _host.Ip.IcmpStats.EchoRepliesSent.Value);
    }

    [Fact]
    public void EchoToAllNodesIsAnsweredFromAUnicastAddress()
    {
        _host.Receive(Ipv6(Peer, Address.AllNodesV6, 58, EchoRequest(Peer, Address.AllNodesV6, 1, 1, [1, 2, 3])));

        var reply = Assert.Single(_host.Sent());
        Assert.Equal(Global, Address.FromIPAddress(reply.SourceAddress));
        Assert.True(((IcmpV6Packet)reply.PayloadPacket).ValidIcmpChecksum);
    }

    [Fact]
    public void EchoFromALinkLocalPeerIsAnsweredFromOurLinkLocal()
    {
        _host.Receive(Ipv6(PeerLinkLocal, Ipv6TestHost.LinkLocal, 58, EchoRequest(PeerLinkLocal, Ipv6TestHost.LinkLocal, 1, 1, [9])));

        var reply = Assert.Single(_host.Sent());
        Assert.Equal(Ipv6TestHost.LinkLocal, Address.FromIPAddress(reply.SourceAddress));
        Assert.Equal(PeerLinkLocal, Address.FromIPAddress(reply.DestinationAddress));
    }

    [Fact]
    public void FragmentedEchoGetsAFragmentedReply()
    {
        var data = new byte[4000];
        new Random(3).NextBytes(data);
        foreach (var f in Fragments(Peer, Global, 58, EchoRequest(Peer, Global, 5, 6, data), 1232, 42))
        {
            _host.Receive(f);
        }

        var frames = _host.Frames();
        Assert.Equal(3, frames.Count);
        var message = new byte[4008];
        int offset = 0;
        foreach (var frame in frames)
        {
            var payload = frame.AsSpan(14 + 48);
            payload.CopyTo(message.AsSpan(offset));
            offset += payload.Length;
        }
        Assert.Equal(129, message[0]);
        Assert.Equal(data, message[8..]);
        Assert.True(Netstack.Headers.Checksum.IsValid(message, Netstack.Headers.Checksum.PseudoHeaderSum(Global, Peer, 58, message.Length)));
    }

    [Fact]
    public void BadChecksumIsDroppedAndCounted()
    {
        var echo = EchoRequest(Peer, Global, 1, 1, [1, 2, 3]);
        echo[10] ^= 0xFF;
        _host.Receive(Ipv6(Peer, Global, 58, echo));

        Assert.Empty(_host.Sent());
        Assert.Equal(1, _host.Ip.IcmpStats.DroppedBadChecksum.Value);
    }

    [Fact]
    public void TruncatedMessageIsDropped()
    {
        _host.Receive(Ipv6(Peer, Global, 58, [128, 0, 0]));
        Assert.Equal(1, _host.Ip.IcmpStats.DroppedTooShort.Value);
    }

    [Fact]
    public void UnknownInformationalMessageIsDropped()
    {
        _host.Receive(Ipv6(Peer, Global, 58, Icmp(Peer, Global, 200, 0, new byte[4])));
        Assert.Equal(1, _host.Ip.IcmpStats.DroppedUnknownType.Value);
        Assert.Empty(_host.Sent());
    }

    [Fact]
    public void UnmatchedPortGetsPortUnreachableQuotingThePacket()
    {
        _host.Udp.Listening = false;
        var packet = Ipv6(Peer, Global, 17, Udp(Peer, Global, 5000, 9, "x"u8));
        _host.Receive(packet);

        var reply = Assert.Single(_host.Sent());
        var icmp = (IcmpV6Packet)reply.PayloadPacket;
        Assert.True(icmp.ValidIcmpChecksum);
        Assert.Equal(IcmpV6Type.DestinationUnreachable, icmp.Type);
        Assert.Equal(4, icmp.Code);
        Assert.Equal(packet, icmp.Bytes[8..]);
    }

    [Fact]
    public void ErrorQuotesAtMost1280BytesInAll()
    {
        _host.Udp.Listening = false;
        foreach (var f in Fragments(Peer, Global, 17, Udp(Peer, Global, 5000, 9, new byte[3000]), 1232, 1))
        {
            _host.Receive(f);
        }

        var reply = Assert.Single(_host.Sent());
        Assert.Equal(1280, 40 + reply.PayloadLength);
        Assert.True(((IcmpV6Packet)reply.PayloadPacket).ValidIcmpChecksum);
    }

    [Fact]
    public void NoErrorsForMulticastDestinations()
    {
        var group = Address.Parse("ff05::9");
        _host.Nic.JoinGroup(group);
        _host.Receive(Ipv6(Peer, group, 60, Concat(Options(17, 0xFE, 0), new byte[8])));
        _host.Receive(Ipv6(Peer, group, 99, new byte[8]));

        Assert.Empty(_host.Sent());
        Assert.Equal(1, _host.Ip.Stats.DroppedUnknownOption.Value);
        Assert.Equal(1, _host.Ip.IcmpStats.ErrorsSuppressed.Value);
    }

    [Fact]
    public void NoErrorsFromUnspecifiedSources()
    {
        _host.Receive(Ipv6(Address.AnyV6, Global, 99, new byte[8]));
        Assert.Empty(_host.Sent());
    }

    [Fact]
    public void NoErrorAboutAnIcmpError()
    {
        // An ICMPv6 error carrying an option that asks for a report: the rules of RFC 4443 2.4 (e.1) win.
        var error = Icmp(Peer, Global, 1, 4, new byte[44]);
        _host.Receive(Ipv6(Peer, Global, 60, Concat(Options(58, 0xBE, 0), error)));

        Assert.Empty(_host.Sent());
        Assert.Equal(1, _host.Ip.IcmpStats.ErrorsSuppressed.Value);
    }

    [Fact]
    public void ErrorsAreRateLimitedWithATokenBucket()
    {
        using var host = new Ipv6TestHost(Quiet with { IcmpErrorsPerSecond = 10, IcmpErrorBurst = 5 });
        host.Udp.Listening = false;
        for (int i = 0; i < 10; i++)
        {
            host.Receive(Ipv6(Peer, Global, 17, Udp(Peer, Global, 5000, 9, [1])));
        }
        Assert.Equal(5, host.Sent().Count);
        Assert.Equal(5, host.Ip.IcmpStats.ErrorsRateLimited.Value);

        host.Time.Advance(TimeSpan.FromMilliseconds(300));
        for (int i = 0; i < 10; i++)
        {
            host.Receive(Ipv6(Peer, Global, 17, Udp(Peer, Global, 5000, 9, [1])));
        }
        Assert.Equal(3, host.Sent().Count);
    }

    [Fact]
    public void EchoRepliesAreNotRateLimited()
    {
        using var host = new Ipv6TestHost(Quiet with { IcmpErrorsPerSecond = 1, IcmpErrorBurst = 1 });
        for (int i = 0; i < 20; i++)
        {
            host.Receive(Ipv6(Peer, Global, 58, EchoRequest(Peer, Global, 1, (ushort)i, [1])));
        }
        Assert.Equal(20, host.Sent().Count);
    }

    [Theory]
    [InlineData(1, 4, TransportErrorKind.PortUnreachable)]
    [InlineData(1, 0, TransportErrorKind.NetworkUnreachable)]
    [InlineData(1, 3, TransportErrorKind.HostUnreachable)]
    [InlineData(1, 1, TransportErrorKind.Prohibited)]
    [InlineData(3, 0, TransportErrorKind.TimeExceeded)]
    [InlineData(4, 0, TransportErrorKind.ParameterProblem)]
    public void ReceivedErrorsReachTheEndpointThatSent(byte type, byte code, TransportErrorKind kind)
    {
        ReceiveErrorAbout(Global, type, code, 0);

        var (id, error) = Assert.Single(_host.Udp.Errors);
        Assert.Equal(new TransportEndpointId(1000, Global, 2000, Peer), id);
        Assert.Equal(kind, error.Kind);
        Assert.Equal(1, _host.Ip.IcmpStats.ErrorsReceived.Value);
    }

    [Fact]
    public void ParameterProblemAtTheNextHeaderIsProtocolUnreachable()
    {
        ReceiveErrorAbout(Global, 4, 1, 6);
        Assert.Equal(TransportErrorKind.ProtocolUnreachable, Assert.Single(_host.Udp.Errors).Error.Kind);
    }

    [Fact]
    public void ErrorsAboutPacketsWeDidNotSendAreDropped()
    {
        ReceiveErrorAbout(Address.Parse("fd00::66"), 1, 4, 0);

        Assert.Empty(_host.Udp.Errors);
        Assert.Equal(1, _host.Ip.IcmpStats.DroppedErrorNotOurs.Value);
    }

    [Fact]
    public void MulticastListenerMessagesAreIgnored()
    {
        _host.Receive(Ipv6(PeerLinkLocal, Address.AllNodesV6, 58, Icmp(PeerLinkLocal, Address.AllNodesV6, 130, 0, new byte[20]), hopLimit: 1));
        Assert.Equal(1, _host.Ip.IcmpStats.MulticastListenerIgnored.Value);
        Assert.Empty(_host.Sent());
    }

    private void ReceiveErrorAbout(Address originalSource, byte type, byte code, uint word)
    {
        var quoted = Ipv6(originalSource, Peer, 17, Udp(originalSource, Peer, 1000, 2000, new byte[100]));
        var rest = new byte[4 + quoted.Length];
        BinaryPrimitives.WriteUInt32BigEndian(rest, word);
        quoted.CopyTo(rest, 4);
        _host.Receive(Ipv6(Router, Global, 58, Icmp(Router, Global, type, code, rest)));
    }
}
