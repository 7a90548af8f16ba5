using Netstack.Headers;
using Netstack.Network.IPv6;
using Netstack.Stack;
using PacketDotNet;
using static Netstack.Tests.Network.IPv6.Ipv6TestHost;
using static Netstack.Tests.Network.IPv6.V6Packets;

namespace Netstack.Tests.Network.IPv6;

public sealed class Ipv6ReceiveTests : IDisposable
{
    private readonly Ipv6TestHost _host = new();

    public void Dispose() => _host.Dispose();

    private Ipv6Stats Stats => _host.Ip.Stats;

    private static byte[] UdpTo(Address dst, byte[]? data = null, Address? src = null) =>
        Udp(src ?? Peer, dst, 5000, 7, data ?? "hello"u8.ToArray());

    private static byte[] UdpPacket(Address? dst = null, Address? src = null) =>
        Ipv6(src ?? Peer, dst ?? Global, 17, UdpTo(dst ?? Global, src: src));

    [Fact]
    public void UdpToOurAddressIsDeliveredWithAddressesAndPorts()
    {
        _host.Receive(UdpPacket());

        var (id, data) = Assert.Single(_host.Udp.Packets);
        Assert.Equal(new TransportEndpointId(7, Global, 5000, Peer), id);
        Assert.Equal("hello"u8.ToArray(), data[8..]);
        Assert.Equal(1, Stats.PacketsDelivered.Value);
    }

    [Fact]
    public void EthernetPaddingAfterThePayloadIsTrimmed()
    {
        var packet = UdpPacket();
        _host.Receive([.. packet, .. new byte[20]]);

        var (_, data) = Assert.Single(_host.Udp.Packets);
        Assert.Equal(8 + 5, data.Length);
    }

    [Fact]
    public void PacketToOurLinkLocalAddressIsDelivered()
    {
        _host.Receive(Ipv6(PeerLinkLocal, LinkLocal, 17, UdpTo(LinkLocal, src: PeerLinkLocal)));
        Assert.Single(_host.Udp.Packets);
    }

    [Fact]
    public void PacketToAllNodesIsDelivered()
    {
        _host.Receive(Ipv6(Peer, Address.AllNodesV6, 17, UdpTo(Address.AllNodesV6)));
        Assert.Single(_host.Udp.Packets);
    }

    [Fact]
    public void GroupsAreAcceptedOnlyWhenJoined()
    {
        var group = Address.Parse("ff05::1234");
        _host.Receive(Ipv6(Peer, group, 17, UdpTo(group)));
        Assert.Empty(_host.Udp.Packets);
        Assert.Equal(1, Stats.DroppedNotForUs.Value);

        _host.Nic.JoinGroup(group);
        _host.Receive(Ipv6(Peer, group, 17, UdpTo(group)));
        Assert.Single(_host.Udp.Packets);
    }

    [Fact]
    public void SolicitedNodeGroupOfEachAddressIsJoined()
    {
        Assert.Contains(Ipv6Address.SolicitedNode(Global), _host.Nic.Groups);
        Assert.Contains(Ipv6Address.SolicitedNode(LinkLocal), _host.Nic.Groups);
        Assert.Contains(Address.AllNodesV6, _host.Nic.Groups);
    }

    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "shorter than the header", new byte[39], nameof(Ipv6Stats.DroppedTooShort) },
        { "version 4", Ipv6(Peer, Global, 17, UdpTo(Global), version: 4), nameof(Ipv6Stats.DroppedBadVersion) },
        { "version 7", Ipv6(Peer, Global, 17, UdpTo(Global), version: 7), nameof(Ipv6Stats.DroppedBadVersion) },
        { "payload length beyond the packet", Ipv6(Peer, Global, 17, UdpTo(Global), payloadLength: 500), nameof(Ipv6Stats.DroppedBadPayloadLength) },
        { "multicast source", UdpPacket(src: Address.Parse("ff02::1")), nameof(Ipv6Stats.DroppedMulticastSource) },
        { "loopback source", UdpPacket(src: Address.Parse("::1")), nameof(Ipv6Stats.DroppedBadAddress) },
        { "loopback destination", UdpPacket(dst: Address.Parse("::1")), nameof(Ipv6Stats.DroppedBadAddress) },
        { "v4-mapped source", UdpPacket(src: Address.Parse("::ffff:10.0.0.1")), nameof(Ipv6Stats.DroppedBadAddress) },
        { "unspecified destination", UdpPacket(dst: Address.AnyV6), nameof(Ipv6Stats.DroppedBadAddress) },
        { "interface-local multicast", UdpPacket(dst: Address.Parse("ff01::1")), nameof(Ipv6Stats.DroppedBadAddress) },
        { "reserved-scope multicast", UdpPacket(dst: Address.Parse("ff00::1")), nameof(Ipv6Stats.DroppedBadAddress) },
        { "someone else's address", UdpPacket(dst: Address.Parse("fd00::99")), nameof(Ipv6Stats.DroppedNotForUs) },
        { "unspecified source to a transport", UdpPacket(src: Address.AnyV6), nameof(Ipv6Stats.DroppedUnspecifiedSource) },
        { "no next header", Ipv6(Peer, Global, 59, new byte[8]), nameof(Ipv6Stats.DroppedNoNextHeader) },
        { "truncated extension header", Ipv6(Peer, Global, 60, Options(17, 0xC2, 4, 0, 0, 0, 0)[..6]), nameof(Ipv6Stats.DroppedTruncatedExtensionHeader) },
        { "extension length beyond the packet", Ipv6(Peer, Global, 60, [17, 3, 1, 4, 0, 0, 0, 0]), nameof(Ipv6Stats.DroppedTruncatedExtensionHeader) },
        { "truncated fragment header", Ipv6(Peer, Global, 44, [17, 0, 0, 0]), nameof(Ipv6Stats.DroppedTruncatedExtensionHeader) },
        { "option past its header", Ipv6(Peer, Global, 60, Concat([17, 0, 0x1E, 10, 0, 0, 0, 0], UdpTo(Global))), nameof(Ipv6Stats.DroppedMalformedOption) },
        { "nine bytes of padding", Ipv6(Peer, Global, 60, Concat([17, 1, 1, 4, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0], UdpTo(Global))), nameof(Ipv6Stats.DroppedBadPadding) },
        { "PadN with data", Ipv6(Peer, Global, 60, Concat([17, 0, 1, 4, 0, 9, 0, 0], UdpTo(Global))), nameof(Ipv6Stats.DroppedBadPadding) },
        { "nine options", Ipv6(Peer, Global, 60, Concat(Options(17, [.. Enumerable.Repeat<byte[]>([0x1E, 0], 9).SelectMany(x => x)]), UdpTo(Global))), nameof(Ipv6Stats.DroppedTooManyOptions) },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedPacketsAreDroppedAndCountedByReason(string what, byte[] packet, string counter)
    {
        _host.Receive(packet);

        Assert.Empty(_host.Udp.Packets);
        var value = ((Netstack.Stack.Counters.Counter)typeof(Ipv6Stats).GetProperty(counter)!.GetValue(Stats)!).Value;
        Assert.True(value == 1, $"{what}: {counter} = {value}; {Stats}");
        Assert.Empty(_host.SentExceptNdp());
    }

    [Fact]
    public void PacketToATentativeAddressIsDropped()
    {
        var tentative = Address.Parse("fd00::77");
        var entry = _host.Stack.AddAddress(1, new AddressWithPrefix(tentative, 64));
        Assert.Equal(AddressState.Tentative, entry.State);

        _host.Receive(UdpPacket(dst: tentative));

        Assert.Empty(_host.Udp.Packets);
        Assert.Equal(1, Stats.DroppedTentativeDestination.Value);
    }

    [Fact]
    public void HopByHopAndDestinationOptionsAreSkippedAndConsumed()
    {
        var chain = Concat(
            Options(60, 5, 2, 0, 0),          // hop-by-hop: router alert
            Options(60, 0x1E, 2, 7, 7),       // destination options: unknown, type bits 00 (skip)
            Options(17, 0, 0, 0),             // destination options: Pad1s
            UdpTo(Global));
        _host.Receive(Ipv6(Peer, Global, 0, chain));

        var (_, data) = Assert.Single(_host.Udp.Packets);
        Assert.Equal(8 + 5, data.Length);
    }

    [Fact]
    public void RoutingHeaderWithNoSegmentsLeftIsSkipped()
    {
        _host.Receive(Ipv6(Peer, Global, 43, Concat(Routing(17, 0), UdpTo(Global))));
        Assert.Single(_host.Udp.Packets);
    }

    [Fact]
    public void AtomicFragmentIsProcessedAsAWholePacket()
    {
        _host.Receive(Ipv6(Peer, Global, 44, Concat(Fragment(17, 0, false, 99), UdpTo(Global))));

        Assert.Single(_host.Udp.Packets);
        Assert.Equal(1, Stats.AtomicFragments.Value);
        Assert.Equal(0, _host.Ip.PendingReassemblies);
    }

    [Fact]
    public void RoutingHeaderWithSegmentsLeftGetsParameterProblemAtTheRoutingType()
    {
        var packet = Ipv6(Peer, Global, 43, Concat(Routing(17, 1), UdpTo(Global)));
        _host.Receive(packet);

        Assert.Empty(_host.Udp.Packets);
        Assert.Equal(1, Stats.DroppedRoutingHeader.Value);
        AssertParameterProblem(code: 0, pointer: 42, packet);
    }

    [Fact]
    public void HopByHopAfterAnotherHeaderGetsParameterProblemCodeOne()
    {
        var packet = Ipv6(Peer, Global, 60, Concat(Options(0), Options(17), UdpTo(Global)));
        _host.Receive(packet);

        Assert.Equal(1, Stats.DroppedHopByHopNotFirst.Value);
        AssertParameterProblem(code: 1, pointer: 40, packet);
    }

    [Fact]
    public void UnknownNextHeaderGetsParameterProblemCodeOnePointingAtTheField()
    {
        var packet = Ipv6(Peer, Global, 60, Concat(Options(253), new byte[16]));
        _host.Receive(packet);

        Assert.Equal(1, Stats.DroppedUnknownNextHeader.Value);
        AssertParameterProblem(code: 1, pointer: 40, packet);
    }

    [Fact]
    public void AuthenticationHeaderIsAnUnknownNextHeaderWithoutIpsec()
    {
        var packet = Ipv6(Peer, Global, 51, new byte[24]);
        _host.Receive(packet);

        AssertParameterProblem(code: 1, pointer: 6, packet);
    }

    [Theory]
    [InlineData(0x3E, false, false)] // 00: skip
    [InlineData(0x7E, false, false)] // 01: discard silently
    [InlineData(0xBE, false, true)]  // 10: discard and report
    [InlineData(0xFE, false, true)]  // 11: discard and report unless multicast
    [InlineData(0x7E, true, false)]
    [InlineData(0xBE, true, true)]   // 10 reports even to multicast
    [InlineData(0xFE, true, false)]
    public void UnknownOptionsFollowTheirTypeBits(byte type, bool multicast, bool report)
    {
        var dst = multicast ? Address.AllNodesV6 : Global;
        var packet = Ipv6(Peer, dst, 60, Concat(Options(17, 1, 0, type, 2, 0, 0), UdpTo(dst)));
        _host.Receive(packet);

        bool skip = type >> 6 == 0;
        Assert.Equal(skip ? 1 : 0, _host.Udp.Packets.Count);
        Assert.Equal(skip ? 0 : 1, Stats.DroppedUnknownOption.Value);
        if (report)
        {
            // Option type byte: 40 (IPv6) + 2 (next, length) + 2 (PadN of 0).
            AssertParameterProblem(code: 2, pointer: 44, packet);
        }
        else
        {
            Assert.Empty(_host.SentExceptNdp());
        }
    }

    [Fact]
    public void ChainLongerThanTheLimitIsDropped()
    {
        var headers = Enumerable.Range(0, 9).Select(i => Options(i == 8 ? (byte)17 : (byte)60)).ToArray();
        _host.Receive(Ipv6(Peer, Global, 60, Concat([.. headers, UdpTo(Global)])));

        Assert.Empty(_host.Udp.Packets);
        Assert.Equal(1, Stats.DroppedTooManyExtensionHeaders.Value);
    }

    [Fact]
    public void PacketsForOtherHostsOnTheLinkAreDropped()
    {
        _host.Receive(UdpPacket(), destinationMac: LinkAddress.Parse("02:99:99:99:99:99"));
        Assert.Empty(_host.Udp.Packets);
    }

    [Fact]
    public void HeadersStraddlingBufferChunksArePulledUp()
    {
        // The frame arrives spread over 128-byte chunks, so headers cross chunk boundaries.
        var data = new byte[300];
        new Random(5).NextBytes(data);
        var udp = Udp(Peer, Global, 5000, 7, data);
        var frame = Ethernet(Mac, PeerMac, Ipv6(Peer, Global, 0, Concat(Options(60, 5, 2, 0, 0), Options(43, [0x1E, 90, .. new byte[90]]), Routing(17, 0), udp)));
        var chunks = Enumerable.Range(0, (frame.Length + 127) / 128).Select(_ => Netstack.Buffers.ChunkPool.Shared.Rent(128)).ToArray();
        for (int i = 0; i < chunks.Length; i++)
        {
            frame.AsSpan(i * 128, Math.Min(128, frame.Length - i * 128)).CopyTo(chunks[i].Span);
        }
        var packet = Netstack.Buffers.PacketBuffer.FromChunks(chunks, frame.Length);
        _host.Link.InjectFrame(packet);
        packet.Release();

        var (_, got) = Assert.Single(_host.Udp.Packets);
        Assert.Equal(udp, got);
    }

    [Fact]
    public void RandomBytesNeverFaultTheReceivePath()
    {
        var random = new Random(1234);
        var templates = new[]
        {
            UdpPacket(),
            Ipv6(Peer, Global, 0, Concat(Options(60, 5, 2, 0, 0), Options(44), Fragment(17, 0, true, 5), new byte[64])),
            Ipv6(Peer, Global, 58, EchoRequest(Peer, Global, 1, 1, new byte[32])),
            Ipv6(Peer, Global, 44, Concat(Fragment(17, 8, false, 5), new byte[16])),
        };
        for (int i = 0; i < 3000; i++)
        {
            var packet = (byte[])templates[i % templates.Length].Clone();
            int flips = random.Next(1, 6);
            for (int f = 0; f < flips; f++)
            {
                packet[random.Next(packet.Length)] = (byte)random.Next(256);
            }
            if (random.Next(4) == 0)
            {
                packet = packet[..random.Next(packet.Length)];
            }
            _host.Receive(packet);
        }
        _host.Frames();
        Assert.Equal(0, _host.Nic.Stats.DroppedHandlerFault.Value);
    }

    private void AssertParameterProblem(byte code, int pointer, byte[] offending)
    {
        var reply = Assert.Single(_host.SentExceptNdp());
        Assert.Equal(ProtocolType.IcmpV6, reply.Protocol);
        Assert.Equal(Global, Address.FromIPAddress(reply.SourceAddress));
        Assert.Equal(Peer, Address.FromIPAddress(reply.DestinationAddress));
        var icmp = (IcmpV6Packet)reply.PayloadPacket;
        Assert.True(icmp.ValidIcmpChecksum);
        var bytes = icmp.Bytes;
        Assert.Equal(4, bytes[0]);
        Assert.Equal(code, bytes[1]);
        Assert.Equal((uint)pointer, ReadU32(bytes, 4));
        Assert.Equal(offending, bytes[8..]);
    }
}
