using Netstack.Link.Channel;
using Netstack.Network.Arp;
using Netstack.Network.IPv4;
using Netstack.Stack;
using Netstack.Stack.Neighbors;
using Netstack.Tests.Network.IPv4;
using static Netstack.Tests.Network.IPv4.Ipv4Harness;

namespace Netstack.Tests.Network.Arp;

public sealed class ArpTests : IDisposable
{
    private static readonly LinkAddress OtherMac = LinkAddress.Parse("02:00:00:00:00:99");

    private readonly Ipv4Harness _h = new(ethernet: true);

    public void Dispose() => _h.Dispose();

    private NeighborCache Cache => _h.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!;

    private ArpStats Stats => _h.Arp.Stats;

    private void InjectArp(ushort op, LinkAddress senderMac, Address senderIp, Address targetIp, LinkAddress? frameDestination = null, LinkAddress targetMac = default)
    {
        var arp = TestPackets.Arp(op, senderMac, senderIp, targetMac, targetIp);
        _h.InjectFrame(TestPackets.Ethernet(frameDestination ?? LinkAddress.Broadcast, senderMac, NetworkProtocolNumber.Arp, arp));
    }

    private static (PacketDotNet.EthernetPacket Eth, PacketDotNet.ArpPacket Arp) DecodeArp(byte[] frame)
    {
        var eth = (PacketDotNet.EthernetPacket)PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Ethernet, frame);
        Assert.Equal(PacketDotNet.EthernetType.Arp, eth.Type);
        return (eth, eth.Extract<PacketDotNet.ArpPacket>());
    }

    private static System.Net.NetworkInformation.PhysicalAddress Mac(LinkAddress a) =>
        System.Net.NetworkInformation.PhysicalAddress.Parse(a.ToString().Replace(':', '-').ToUpperInvariant());

    [Fact]
    public void AnEthernetNicGetsAnArpCacheAndATunNicDoesNot()
    {
        Assert.NotNull(Cache);
        using var tun = new Ipv4Harness();
        Assert.Null(tun.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4));
    }

    [Fact]
    public void ARequestForOurAddressIsAnsweredAndTheSenderLearned()
    {
        InjectArp(1, PeerMac, Peer, Us);
        var (eth, arp) = DecodeArp(_h.Read()!);
        Assert.Equal(Mac(PeerMac), eth.DestinationHardwareAddress);
        Assert.Equal(Mac(OurMac), eth.SourceHardwareAddress);
        Assert.Equal(PacketDotNet.ArpOperation.Response, arp.Operation);
        Assert.Equal(Mac(OurMac), arp.SenderHardwareAddress);
        Assert.Equal(Us.ToIPAddress(), arp.SenderProtocolAddress);
        Assert.Equal(Mac(PeerMac), arp.TargetHardwareAddress);
        Assert.Equal(Peer.ToIPAddress(), arp.TargetProtocolAddress);
        Assert.True(Cache.TryGetEntry(Peer, out var entry));
        Assert.Equal(new NeighborEntrySnapshot(Peer, PeerMac, NeighborState.Stale), entry);
        Assert.Equal(1, Stats.RepliesSent.Value);
    }

    [Fact]
    public void ARequestInAPaddedFrameIsAnswered()
    {
        var arp = TestPackets.Arp(1, PeerMac, Peer, default, Us).Concat(new byte[18]).ToArray();
        _h.InjectFrame(TestPackets.Ethernet(LinkAddress.Broadcast, PeerMac, NetworkProtocolNumber.Arp, arp));
        Assert.NotNull(_h.Read());
    }

    [Fact]
    public void ARequestForAnotherHostIsNotAnsweredAndCreatesNoEntry()
    {
        InjectArp(1, PeerMac, Peer, Address.Parse("10.0.0.9"));
        Assert.Null(_h.Read());
        Assert.Equal(0, Cache.Count);
        Assert.Equal(1, Stats.RequestsNotForUs.Value);
    }

    [Fact]
    public void ARequestForAnotherHostRefreshesAnEntryWeHave()
    {
        InjectArp(1, PeerMac, Peer, Us);
        _h.Read();
        InjectArp(1, OtherMac, Peer, Address.Parse("10.0.0.9")); // the peer moved to another MAC
        Assert.True(Cache.TryGetEntry(Peer, out var entry));
        Assert.Equal(OtherMac, entry.LinkAddress);
        Assert.Equal(NeighborState.Stale, entry.State);
    }

    [Fact]
    public void SendingResolvesWithABroadcastRequestAndTheReplyReleasesTheQueue()
    {
        Assert.True(_h.Send(Peer, TestPackets.UdpSegment(1, 2, [1, 2, 3])).Ok);
        var (eth, arp) = DecodeArp(_h.Read()!);
        Assert.Equal(Mac(LinkAddress.Broadcast), eth.DestinationHardwareAddress);
        Assert.Equal(PacketDotNet.ArpOperation.Request, arp.Operation);
        Assert.Equal(Mac(OurMac), arp.SenderHardwareAddress);
        Assert.Equal(Us.ToIPAddress(), arp.SenderProtocolAddress);
        Assert.Equal(Peer.ToIPAddress(), arp.TargetProtocolAddress);
        Assert.Equal(new byte[6], arp.TargetHardwareAddress.GetAddressBytes());
        Assert.Null(_h.Read()); // the datagram waits

        InjectArp(2, PeerMac, Peer, Us, OurMac, OurMac);
        var frame = _h.Read()!;
        Assert.Equal(PeerMac, LinkAddress.FromBytes(frame));
        Assert.Equal(Peer.ToIPAddress(), TestPackets.Decode(frame[14..]).DestinationAddress);
        Assert.True(Cache.TryGetEntry(Peer, out var entry));
        Assert.Equal(NeighborState.Reachable, entry.State);
    }

    [Fact]
    public void TheRequestIsSentFromTheAddressInTheTargetsSubnet()
    {
        _h.Stack.AddAddress(1, AddressWithPrefix.Parse("172.16.0.2/16"));
        _h.ReadAll();
        _h.Arp.SendSolicitation(_h.Nic, Address.Parse("172.16.0.1"), default, default);
        Assert.Equal(Address.Parse("172.16.0.2").ToIPAddress(), DecodeArp(_h.Read()!).Arp.SenderProtocolAddress);
        _h.Arp.SendSolicitation(_h.Nic, Address.Parse("172.16.0.1"), Us, default);
        Assert.Equal(Us.ToIPAddress(), DecodeArp(_h.Read()!).Arp.SenderProtocolAddress);
    }

    [Fact]
    public void ABroadcastReplyCompletesResolutionButDoesNotProveReachability()
    {
        _h.Send(Peer, TestPackets.UdpSegment(1, 2, [1]));
        _h.Read();
        InjectArp(2, PeerMac, Peer, Peer); // gratuitous reply, broadcast
        Assert.NotNull(_h.Read());
        Assert.True(Cache.TryGetEntry(Peer, out var entry));
        Assert.Equal(NeighborState.Stale, entry.State);
    }

    [Fact]
    public void AnUnsolicitedReplyCreatesNoEntry()
    {
        InjectArp(2, PeerMac, Peer, Us, OurMac, OurMac);
        Assert.Equal(0, Cache.Count);
        Assert.Equal(1, Stats.RepliesReceived.Value);
    }

    [Fact]
    public void ReachabilityIsProbedWithUnicastRequests()
    {
        _h.Send(Peer, TestPackets.UdpSegment(1, 2, [1]));
        _h.Read();
        InjectArp(2, PeerMac, Peer, Us, OurMac, OurMac);
        _h.ReadAll();
        _h.Time.Advance(TimeSpan.FromSeconds(46)); // beyond 1.5 x 30 s: stale
        Assert.True(Cache.TryGetEntry(Peer, out var e) && e.State == NeighborState.Stale);
        _h.Send(Peer, TestPackets.UdpSegment(1, 2, [1])); // sent at once, entry goes to DELAY
        Assert.NotNull(_h.Read());
        _h.Time.Advance(TimeSpan.FromSeconds(5.01));
        var (eth, arp) = DecodeArp(_h.Read()!);
        Assert.Equal(Mac(PeerMac), eth.DestinationHardwareAddress);
        Assert.Equal(PacketDotNet.ArpOperation.Request, arp.Operation);
        Assert.Equal(Peer.ToIPAddress(), arp.TargetProtocolAddress);
        InjectArp(2, PeerMac, Peer, Us, OurMac, OurMac);
        Assert.True(Cache.TryGetEntry(Peer, out e) && e.State == NeighborState.Reachable);
    }

    [Fact]
    public void ResolutionGivesUpAfterThreeRequests()
    {
        _h.Send(Peer, TestPackets.UdpSegment(1, 2, [1]));
        for (int i = 0; i < 4; i++)
        {
            _h.Time.Advance(TimeSpan.FromMilliseconds(1001));
        }
        Assert.Equal(3, _h.ReadAll().Count);
        Assert.Equal(3, Stats.RequestsSent.Value);
        Assert.Equal(0, Cache.Count);
        Assert.Equal(1, _h.Nic.Stats.ResolutionFailures.Value);
    }

    public static TheoryData<string, byte[], string> Malformed()
    {
        byte[] Arp(Action<byte[]> change)
        {
            var b = TestPackets.Arp(1, PeerMac, Peer, default, Us);
            change(b);
            return b;
        }
        return new TheoryData<string, byte[], string>
        {
            { "27 bytes", TestPackets.Arp(1, PeerMac, Peer, default, Us)[..27], "drop_truncated" },
            { "hardware type 6", Arp(b => b[1] = 6), "drop_bad_hardware_type" },
            { "hardware length 8", Arp(b => b[4] = 8), "drop_bad_hardware_type" },
            { "protocol IPv6", Arp(b => { b[2] = 0x86; b[3] = 0xDD; }), "drop_bad_protocol_type" },
            { "protocol length 16", Arp(b => b[5] = 16), "drop_bad_protocol_type" },
            { "opcode 0", Arp(b => b[7] = 0), "drop_bad_opcode" },
            { "opcode 3 (RARP)", Arp(b => b[7] = 3), "drop_bad_opcode" },
            { "group sender MAC", TestPackets.Arp(1, LinkAddress.Parse("01:00:5e:00:00:01"), Peer, default, Us), "drop_bad_sender" },
            { "our own MAC", TestPackets.Arp(1, OurMac, Peer, default, Us), "drop_bad_sender" },
            { "multicast sender", TestPackets.Arp(1, PeerMac, Address.Parse("224.0.0.5"), default, Us), "drop_bad_sender" },
            { "broadcast sender", TestPackets.Arp(1, PeerMac, Address.BroadcastV4, default, Us), "drop_bad_sender" },
            { "subnet broadcast sender", TestPackets.Arp(1, PeerMac, Address.Parse("10.0.0.255"), default, Us), "drop_bad_sender" },
            { "loopback sender", TestPackets.Arp(1, PeerMac, Address.Parse("127.0.0.1"), default, Us), "drop_bad_sender" },
            { "someone claims our address", TestPackets.Arp(1, PeerMac, Us, default, Us), "address_conflicts" },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void BadPacketsAreDroppedAndCounted(string name, byte[] arp, string counter)
    {
        _h.InjectFrame(TestPackets.Ethernet(LinkAddress.Broadcast, PeerMac, NetworkProtocolNumber.Arp, arp));
        Assert.Null(_h.Read());
        Assert.Equal(0, Cache.Count);
        Assert.True(1 == Stats.Counters.Single(c => c.Name == counter).Value, $"{name}: {Stats}");
    }

    [Fact]
    public void AnAddressProbeIsAnsweredWithoutLearning()
    {
        InjectArp(1, PeerMac, Address.AnyV4, Us); // RFC 5227 probe
        var (eth, arp) = DecodeArp(_h.Read()!);
        Assert.Equal(Mac(PeerMac), eth.DestinationHardwareAddress);
        Assert.Equal(PacketDotNet.ArpOperation.Response, arp.Operation);
        Assert.Equal(System.Net.IPAddress.Any, arp.TargetProtocolAddress);
        Assert.Equal(0, Cache.Count);
    }

    [Fact]
    public void ANewAddressIsAnnounced()
    {
        _h.Stack.AddAddress(1, AddressWithPrefix.Parse("10.0.0.5/24"));
        var (eth, arp) = DecodeArp(_h.Read()!);
        Assert.Equal(Mac(LinkAddress.Broadcast), eth.DestinationHardwareAddress);
        Assert.Equal(PacketDotNet.ArpOperation.Request, arp.Operation);
        Assert.Equal(Address.Parse("10.0.0.5").ToIPAddress(), arp.SenderProtocolAddress);
        Assert.Equal(Address.Parse("10.0.0.5").ToIPAddress(), arp.TargetProtocolAddress);
        Assert.Equal(2, Stats.AnnouncementsSent.Value); // the harness's first address was announced too

        _h.Stack.DisableNic(1);
        _h.Stack.EnableNic(1);
        Assert.Equal(2, _h.ReadAll().Count); // both addresses again
    }

    [Fact]
    public void AnnouncementsCanBeTurnedOff()
    {
        using var h = new Ipv4Harness(ethernet: true, arp: new ArpOptions { AnnounceAddresses = false });
        h.Stack.AddAddress(1, AddressWithPrefix.Parse("10.0.0.5/24"));
        Assert.Null(h.Read());
    }

    [Fact]
    public void ANicWithoutAnIPv4AddressCannotSolicit()
    {
        _h.Stack.RemoveAddress(1, Us);
        _h.Arp.SendSolicitation(_h.Nic, Peer, default, default);
        Assert.Null(_h.Read());
        Assert.Equal(1, Stats.SolicitationsWithoutSource.Value);
    }

    [Fact]
    public void TwoStacksResolveEachOtherOverALink()
    {
        using var a = new Ipv4Harness(ethernet: true);
        using var b = new TwoHost();
        using var cable = new ChannelLink(a.Link, b.Link);
        var ep = b.Listen(7);
        Assert.True(a.Send(Peer, TestPackets.UdpSegment(5000, 7, [9, 8, 7])).Ok);
        Assert.True(SpinWait.SpinUntil(() => ep.Packets.Count == 1, TimeSpan.FromSeconds(5)));
        Assert.Equal([9, 8, 7], ep.Packets[0].Data[8..]);
        Assert.True(a.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!.TryGetEntry(Peer, out var ea));
        Assert.Equal(NeighborState.Reachable, ea.State);
        Assert.True(b.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!.TryGetEntry(Us, out var eb));
        Assert.Equal(OurMac, eb.LinkAddress);
    }

    /// <summary>The peer host (10.0.0.1, PeerMac) for two-stack tests.</summary>
    private sealed class TwoHost : IDisposable
    {
        public TwoHost()
        {
            Link = new ChannelEndpoint(1500, PeerMac);
            Stack = new NetworkStack(new StackOptions
            {
                NetworkProtocols = [s => new Ipv4Protocol(s), s => new ArpProtocol(s)],
                TransportProtocols = [_ => new FakeUdpProtocol()],
            });
            Nic = Stack.CreateNic(1, Link);
            Stack.AddAddress(1, AddressWithPrefix.Parse("10.0.0.1/24"));
            Link.DrainOutbound();
        }

        public ChannelEndpoint Link { get; }

        public NetworkStack Stack { get; }

        public Nic Nic { get; }

        public RecordingEndpoint Listen(ushort port)
        {
            var ep = new RecordingEndpoint();
            Stack.Demuxer.Register(17, new TransportEndpointId(port, Address.AnyV4, 0, default), ep);
            return ep;
        }

        public void Dispose()
        {
            Stack.Dispose();
            Link.Dispose();
        }
    }
}
