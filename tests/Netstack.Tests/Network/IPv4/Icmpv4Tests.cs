using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Network.IPv4;
using Netstack.Stack;
using static Netstack.Tests.Network.IPv4.Ipv4Harness;

namespace Netstack.Tests.Network.IPv4;

public sealed class Icmpv4Tests : IDisposable
{
    private Ipv4Harness _h = new();

    public void Dispose() => _h.Dispose();

    private void Use(Ipv4ProtocolOptions options)
    {
        _h.Dispose();
        _h = new Ipv4Harness(options);
    }

    private static byte[] Ping(ushort id, ushort seq, byte[] data, Address? dst = null, byte tos = 0) =>
        TestPackets.Ipv4(Peer, dst ?? Us, 1, TestPackets.EchoRequest(id, seq, data), tos: tos);

    [Fact]
    public void AnEchoRequestIsAnsweredWithItsIdentifierSequenceAndData()
    {
        var data = TestPackets.Pattern(56);
        _h.Inject(Ping(0x1234, 7, data, tos: 0x28));
        var reply = _h.ReadIp()!;
        var ip = TestPackets.Decode(reply);
        Assert.Equal(Us.ToIPAddress(), ip.SourceAddress);
        Assert.Equal(Peer.ToIPAddress(), ip.DestinationAddress);
        Assert.Equal(0x28, ip.TypeOfService);
        Assert.True(ip.ValidIPChecksum);
        var icmp = ip.Extract<PacketDotNet.IcmpV4Packet>();
        Assert.Equal(PacketDotNet.IcmpV4TypeCode.EchoReply, icmp.TypeCode);
        Assert.Equal(0x1234, icmp.Id);
        Assert.Equal(7, icmp.Sequence);
        Assert.Equal(data, icmp.Data);
        Assert.True(icmp.ValidIcmpChecksum);
        Assert.Equal(1, _h.Ip.IcmpStats.EchoRepliesSent.Value);
    }

    [Fact]
    public void TheReplyComesFromTheAddressThatWasPinged()
    {
        var second = Address.Parse("10.0.0.3");
        _h.Stack.AddAddress(1, new AddressWithPrefix(second, 24));
        _h.Inject(Ping(1, 1, [1, 2, 3], second));
        Assert.Equal(second.ToIPAddress(), TestPackets.Decode(_h.ReadIp()!).SourceAddress);
    }

    [Fact]
    public void OddLengthDataKeepsTheChecksumRight()
    {
        _h.Inject(Ping(9, 9, TestPackets.Pattern(57)));
        Assert.True(TestPackets.Decode(_h.ReadIp()!).Extract<PacketDotNet.IcmpV4Packet>().ValidIcmpChecksum);
    }

    [Fact]
    public void ABadChecksumOrTruncatedMessageIsDropped()
    {
        var bad = Ping(1, 1, [1, 2, 3, 4]);
        bad[^1] ^= 0xFF;
        _h.Inject(bad);
        _h.Inject(TestPackets.Ipv4(Peer, Us, 1, new byte[] { 8, 0, 0xF7, 0xFF, 0, 0, 0 }));
        Assert.Null(_h.Read());
        Assert.Equal(1, _h.Ip.IcmpStats.DroppedBadChecksum.Value);
        Assert.Equal(1, _h.Ip.IcmpStats.DroppedTruncated.Value);
    }

    [Theory]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.255")]
    [InlineData("224.0.0.1")]
    public void BroadcastEchoIsIgnoredByDefault(string destination)
    {
        _h.Inject(Ping(1, 1, [1], Address.Parse(destination)));
        Assert.Null(_h.Read());
        Assert.Equal(1, _h.Ip.IcmpStats.EchoIgnoredBroadcast.Value);
    }

    [Fact]
    public void BroadcastEchoIsAnsweredFromTheNicsAddressWhenAllowed()
    {
        Use(new Ipv4ProtocolOptions { IgnoreBroadcastEcho = false });
        _h.Inject(Ping(1, 1, [1], Address.Parse("10.0.0.255")));
        Assert.Equal(Us.ToIPAddress(), TestPackets.Decode(_h.ReadIp()!).SourceAddress);
    }

    [Fact]
    public void AFragmentedEchoIsReassembledAndAnsweredInFragments()
    {
        var data = TestPackets.Pattern(4000);
        foreach (var f in TestPackets.Fragment(Ping(77, 3, data), 1480))
        {
            _h.Inject(f);
        }
        var frames = _h.ReadAll();
        Assert.Equal(3, frames.Count);
        var message = frames.SelectMany(f => f[20..]).ToArray();
        var whole = TestPackets.Ipv4(Us, Peer, 1, message);
        var icmp = TestPackets.Decode(whole).Extract<PacketDotNet.IcmpV4Packet>();
        Assert.Equal(PacketDotNet.IcmpV4TypeCode.EchoReply, icmp.TypeCode);
        Assert.Equal(77, icmp.Id);
        Assert.Equal(data, icmp.Data);
        Assert.True(icmp.ValidIcmpChecksum);
    }

    [Fact]
    public void NoReplyWithoutARouteBack()
    {
        _h.Inject(TestPackets.Ipv4(Far, Us, 1, TestPackets.EchoRequest(1, 1, [1])));
        Assert.Null(_h.Read());
        Assert.Equal(1, _h.Ip.IcmpStats.SendNoRoute.Value);
    }

    [Fact]
    public void EchoRepliesAreNotRateLimited()
    {
        Use(new Ipv4ProtocolOptions { IcmpErrorsPerSecond = 1, IcmpErrorBurst = 1 });
        for (int i = 0; i < 100; i++)
        {
            _h.Inject(Ping(1, (ushort)i, [1]));
        }
        Assert.Equal(100, _h.ReadAll().Count);
    }

    // A received datagram as the network layer hands it on: network header consumed.
    private static PacketBuffer Offending(byte[] ip, PacketType type = PacketType.Host)
    {
        var p = PacketBuffer.Rent(0, ip);
        Assert.True(p.TryConsumeHeader(HeaderKind.Network, (ip[0] & 0xF) * 4, out _));
        p.PacketType = type;
        return p;
    }

    public static TheoryData<string, byte[], PacketType, bool> ErrorRules()
    {
        var udp = TestPackets.UdpSegment(1, 2, [1, 2, 3]);
        byte[] Ip(Address src, Address dst, byte proto, byte[] payload, ushort flags = 0) => TestPackets.Ipv4(src, dst, proto, payload, flagsAndOffset: flags);
        return new TheoryData<string, byte[], PacketType, bool>
        {
            { "unicast UDP", Ip(Peer, Us, 17, udp), PacketType.Host, true },
            { "ICMP echo", Ip(Peer, Us, 1, TestPackets.EchoRequest(1, 1, [])), PacketType.Host, true },
            { "ICMP error", Ip(Peer, Us, 1, TestPackets.IcmpMessage(3, 3, 0, new byte[28])), PacketType.Host, false },
            { "ICMP time exceeded", Ip(Peer, Us, 1, TestPackets.IcmpMessage(11, 0, 0, new byte[28])), PacketType.Host, false },
            { "ICMP of unknown type", Ip(Peer, Us, 1, TestPackets.IcmpMessage(42, 0, 0, [])), PacketType.Host, false },
            { "ICMP without a header", Ip(Peer, Us, 1, []), PacketType.Host, false },
            { "limited broadcast destination", Ip(Peer, Address.BroadcastV4, 17, udp), PacketType.Host, false },
            { "directed broadcast destination", Ip(Peer, Address.Parse("10.0.0.255"), 17, udp), PacketType.Host, false },
            { "multicast destination", Ip(Peer, Address.Parse("224.0.0.1"), 17, udp), PacketType.Host, false },
            { "link-layer broadcast", Ip(Peer, Us, 17, udp), PacketType.Broadcast, false },
            { "link-layer multicast", Ip(Peer, Us, 17, udp), PacketType.Multicast, false },
            { "non-first fragment", Ip(Peer, Us, 17, udp, 0x2001), PacketType.Host, false },
            { "first fragment", Ip(Peer, Us, 17, TestPackets.Pattern(16), 0x2000), PacketType.Host, true },
            { "unspecified source", Ip(Address.AnyV4, Us, 17, udp), PacketType.Host, false },
            { "multicast source", Ip(Address.Parse("239.0.0.1"), Us, 17, udp), PacketType.Host, false },
            { "broadcast source", Ip(Address.BroadcastV4, Us, 17, udp), PacketType.Host, false },
            { "subnet broadcast source", Ip(Address.Parse("10.0.0.255"), Us, 17, udp), PacketType.Host, false },
            { "loopback source", Ip(Address.Parse("127.0.0.1"), Us, 17, udp), PacketType.Host, false },
            { "class E source", Ip(Address.Parse("240.0.0.1"), Us, 17, udp), PacketType.Host, false },
        };
    }

    [Theory]
    [MemberData(nameof(ErrorRules))]
    public void ErrorsFollowTheHostRequirements(string name, byte[] ip, PacketType type, bool sent)
    {
        var p = Offending(ip, type);
        _h.Ip.SendIcmpError(_h.Nic, p, IcmpErrorKind.PortUnreachable);
        p.Release();
        var reply = _h.ReadIp();
        Assert.True(sent == (reply is not null), name);
        Assert.Equal(sent ? 0 : 1, _h.Ip.IcmpStats.ErrorsSuppressed.Value);
        if (reply is not null)
        {
            var icmp = TestPackets.Decode(reply).Extract<PacketDotNet.IcmpV4Packet>();
            Assert.Equal(PacketDotNet.IcmpV4TypeCode.UnreachablePort, icmp.TypeCode);
            Assert.True(icmp.ValidIcmpChecksum);
            Assert.Equal(ip, reply[28..]);
            Assert.Equal(0xC0, reply[1]); // precedence: internetwork control
        }
    }

    [Theory]
    [InlineData(IcmpErrorKind.PortUnreachable, 3, 3)]
    [InlineData(IcmpErrorKind.ProtocolUnreachable, 3, 2)]
    [InlineData(IcmpErrorKind.HostUnreachable, 3, 1)]
    [InlineData(IcmpErrorKind.NetworkUnreachable, 3, 0)]
    [InlineData(IcmpErrorKind.ReassemblyTimeout, 11, 1)]
    [InlineData(IcmpErrorKind.TtlExceeded, 11, 0)]
    public void EachErrorKindHasItsTypeAndCode(IcmpErrorKind kind, byte type, byte code)
    {
        var p = Offending(TestPackets.Ipv4(Peer, Us, 17, TestPackets.UdpSegment(1, 2, [])));
        _h.Ip.SendIcmpError(_h.Nic, p, kind);
        p.Release();
        var reply = _h.ReadIp()!;
        Assert.Equal(type, reply[20]);
        Assert.Equal(code, reply[21]);
    }

    [Fact]
    public void AnErrorQuotesAtMost576BytesInAll()
    {
        var sent = TestPackets.Ipv4(Peer, Us, 17, TestPackets.UdpSegment(5000, 9, TestPackets.Pattern(1000)));
        _h.Inject(sent);
        var reply = _h.ReadIp()!;
        Assert.Equal(576, reply.Length);
        Assert.Equal(sent[..548], reply[28..]);
    }

    [Fact]
    public void AnErrorAboutAReassembledDatagramQuotesItsWholeHeader()
    {
        var sent = TestPackets.Ipv4(Peer, Us, 17, TestPackets.UdpSegment(5000, 9, TestPackets.Pattern(2000)), id: 5);
        foreach (var f in TestPackets.Fragment(sent, 1000))
        {
            _h.Inject(f);
        }
        var reply = _h.ReadIp()!;
        Assert.True(Ipv4Header.TryParseQuoted(reply.AsSpan(28), out var quoted));
        Assert.Equal(sent.Length, quoted.TotalLength);
        Assert.False(quoted.IsFragment);
        Assert.Equal(sent[20..548], reply[48..]);
    }

    [Fact]
    public void ErrorsAreRateLimitedByATokenBucket()
    {
        Use(new Ipv4ProtocolOptions { IcmpErrorsPerSecond = 10, IcmpErrorBurst = 3 });
        void Provoke(int n)
        {
            for (int i = 0; i < n; i++)
            {
                _h.Inject(TestPackets.Ipv4(Peer, Us, 17, TestPackets.UdpSegment(5000, 9, [1])));
            }
        }
        Provoke(5);
        Assert.Equal(3, _h.ReadAll().Count);
        Assert.Equal(2, _h.Ip.IcmpStats.ErrorsRateLimited.Value);
        _h.Time.Advance(TimeSpan.FromMilliseconds(100));
        Provoke(2);
        Assert.Single(_h.ReadAll());
        _h.Time.Advance(TimeSpan.FromSeconds(10)); // refills to the burst, not beyond
        Provoke(5);
        Assert.Equal(3, _h.ReadAll().Count);
        Assert.Equal(5, _h.Ip.IcmpStats.ErrorsRateLimited.Value);
    }

    [Fact]
    public void TheDefaultLimitIsABurstOf50()
    {
        for (int i = 0; i < 60; i++)
        {
            _h.Inject(TestPackets.Ipv4(Peer, Us, 17, TestPackets.UdpSegment(5000, 9, [1])));
        }
        Assert.Equal(50, _h.ReadAll().Count);
        Assert.Equal(10, _h.Ip.IcmpStats.ErrorsRateLimited.Value);
    }

    // An ICMP error from `from` quoting a UDP datagram Us:5000 -> Peer:53 (or what `quoted` says).
    private static byte[] ErrorAboutOurs(byte type, byte code, uint rest = 0, byte[]? quoted = null, Address? from = null)
    {
        quoted ??= TestPackets.Ipv4(Us, Peer, 17, TestPackets.UdpSegment(5000, 53, new byte[100]))[..28];
        return TestPackets.Ipv4(from ?? Peer, Us, 1, TestPackets.IcmpMessage(type, code, rest, quoted));
    }

    [Theory]
    [InlineData(3, 0, 0u, TransportErrorKind.NetworkUnreachable, 0)]
    [InlineData(3, 1, 0u, TransportErrorKind.HostUnreachable, 0)]
    [InlineData(3, 2, 0u, TransportErrorKind.ProtocolUnreachable, 0)]
    [InlineData(3, 3, 0u, TransportErrorKind.PortUnreachable, 0)]
    [InlineData(3, 6, 0u, TransportErrorKind.NetworkUnreachable, 0)]
    [InlineData(3, 7, 0u, TransportErrorKind.HostUnreachable, 0)]
    [InlineData(3, 10, 0u, TransportErrorKind.Prohibited, 0)]
    [InlineData(3, 13, 0u, TransportErrorKind.Prohibited, 0)]
    [InlineData(3, 4, 1400u, TransportErrorKind.PacketTooBig, 1400)]
    [InlineData(11, 0, 0u, TransportErrorKind.TimeExceeded, 0)]
    [InlineData(11, 1, 0u, TransportErrorKind.TimeExceeded, 1)]
    [InlineData(12, 0, 0x05000000u, TransportErrorKind.ParameterProblem, 5)]
    public void ReceivedErrorsReachTheEndpointThatSent(byte type, byte code, uint rest, TransportErrorKind kind, int info)
    {
        var ep = _h.Listen(5000);
        _h.Inject(ErrorAboutOurs(type, code, rest));
        var (id, error) = Assert.Single(ep.Errors);
        Assert.Equal(new TransportEndpointId(5000, Us, 53, Peer), id);
        Assert.Equal(new TransportError(kind, info), error with { QuotedWord = -1 });
        Assert.Equal(1, _h.Ip.IcmpStats.ErrorsDelivered.Value);
    }

    [Fact]
    public void FragmentationNeededLowersThePathMtuOnlyDownwards()
    {
        var ep = _h.Listen(5000);
        _h.Inject(ErrorAboutOurs(3, 4, 1600));
        Assert.Equal(1500, _h.Ip.PathMtu(_h.Nic, Peer));
        Assert.Equal(new TransportError(TransportErrorKind.PacketTooBig, 1500), ep.Errors[^1].Error with { QuotedWord = -1 });
        _h.Inject(ErrorAboutOurs(3, 4, 1400));
        _h.Inject(ErrorAboutOurs(3, 4, 1450));
        Assert.Equal(1400, _h.Ip.PathMtu(_h.Nic, Peer));
        Assert.Equal(1, _h.Ip.Stats.PathMtuLowered.Value);
        Assert.Equal(TcpipError.None, _h.Stack.FindRoute(Peer, out var route));
        Assert.Equal(1400, route!.Mtu);
    }

    [Fact]
    public void AZeroNextHopMtuFallsBackToTheRfc1191Plateaus()
    {
        var quoted = TestPackets.Ipv4(Us, Peer, 17, TestPackets.UdpSegment(5000, 53, new byte[1472]))[..28];
        _h.Inject(ErrorAboutOurs(3, 4, 0, quoted));
        Assert.Equal(1492, _h.Ip.PathMtu(_h.Nic, Peer));
    }

    [Fact]
    public void AnMtuBelow68IsIgnored()
    {
        var ep = _h.Listen(5000);
        _h.Inject(ErrorAboutOurs(3, 4, 67));
        Assert.Equal(1500, _h.Ip.PathMtu(_h.Nic, Peer));
        Assert.Empty(ep.Errors);
        Assert.Equal(1, _h.Ip.IcmpStats.DroppedBadMtu.Value);
    }

    [Fact]
    public void ErrorsAboutTrafficWeDidNotSendAreDropped()
    {
        var ep = _h.Listen(5000);
        var spoofed = TestPackets.Ipv4(Far, Peer, 17, TestPackets.UdpSegment(5000, 53, new byte[8]))[..28];
        _h.Inject(ErrorAboutOurs(3, 4, 600, spoofed));
        Assert.Empty(ep.Errors);
        Assert.Equal(0, _h.Ip.PathMtuEntries);
        Assert.Equal(1, _h.Ip.IcmpStats.DroppedErrorNotOurs.Value);
    }

    [Fact]
    public void MalformedOrUnattributableErrorsAreCounted()
    {
        var ep = _h.Listen(5000);
        var full = TestPackets.Ipv4(Us, Peer, 17, TestPackets.UdpSegment(5000, 53, new byte[8]));
        _h.Inject(ErrorAboutOurs(3, 3, 0, full[..19]));                            // quoted header cut short
        var badVersion = (byte[])full.Clone();
        badVersion[0] = 0x65;
        _h.Inject(ErrorAboutOurs(3, 3, 0, badVersion[..28]));
        var later = TestPackets.Ipv4(Us, Peer, 17, new byte[8], flagsAndOffset: 10);
        _h.Inject(ErrorAboutOurs(3, 3, 0, later[..28]));                            // non-first fragment
        _h.Inject(ErrorAboutOurs(3, 3, 0, full[..22]));                             // no ports
        Assert.Empty(ep.Errors);
        Assert.Equal(2, _h.Ip.IcmpStats.DroppedErrorMalformed.Value);
        Assert.Equal(2, _h.Ip.IcmpStats.ErrorsWithoutEndpoint.Value);
    }

    [Theory]
    [InlineData(Icmpv4Type.SourceQuench)]
    [InlineData(Icmpv4Type.Redirect)]
    [InlineData(Icmpv4Type.Timestamp)]
    [InlineData(Icmpv4Type.EchoReply)]
    [InlineData(200)]
    public void OtherMessagesAreIgnored(byte type)
    {
        var ep = _h.Listen(5000);
        _h.Inject(ErrorAboutOurs(type, 0));
        Assert.Empty(ep.Errors);
        Assert.Null(_h.Read());
        Assert.Equal(1, _h.Ip.IcmpStats.Received.Value);
    }

    [Fact]
    public void AnErrorToOurselvesTravelsTheLoopback()
    {
        // A datagram from us to us with no listener: the port unreachable loops back to the sender.
        var sender = _h.Listen(5000, Us, 9, Us);
        Assert.Equal(TcpipError.None, _h.Stack.FindRoute(Us, out var route));
        var p = PacketBuffer.Rent(route!.MaxHeaderLength, TestPackets.UdpSegment(5000, 9, [1, 2, 3]));
        Assert.Equal(TcpipError.None, route.WritePacket(p, new NetworkHeaderParams(17)));
        p.Release();
        Assert.True(SpinWait.SpinUntil(() => sender.Errors.Count == 1, TimeSpan.FromSeconds(5)));
        Assert.Equal(TransportErrorKind.PortUnreachable, sender.Errors[0].Error.Kind);
    }
}
