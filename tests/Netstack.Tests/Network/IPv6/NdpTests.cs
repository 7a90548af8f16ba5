using Netstack.Network.IPv6;
using Netstack.Stack;
using Netstack.Stack.Neighbors;
using PacketDotNet;
using PacketDotNet.Ndp;
using static Netstack.Tests.Network.IPv6.Ipv6TestHost;
using static Netstack.Tests.Network.IPv6.V6Packets;

namespace Netstack.Tests.Network.IPv6;

public sealed class NdpTests
{
    private static readonly LinkAddress OtherMac = LinkAddress.Parse("02:00:00:00:00:03");
    private static readonly Address Other = Address.Parse("fd00::3");
    private static readonly Address RouterAddress = Address.Parse("fe80::1");
    private static readonly LinkAddress RouterMac = LinkAddress.Parse("02:00:00:00:00:fe");

    [Fact]
    public void LinkLocalAddressComesFromTheMacAndPassesDad()
    {
        using var host = new Ipv6TestHost(addAddress: false, settle: false);

        var linkLocal = Assert.Single(host.Nic.Addresses);
        Assert.Equal(new AddressWithPrefix(Ipv6TestHost.LinkLocal, 64), linkLocal.AddressWithPrefix);
        Assert.Equal(AddressKind.LinkLocal, linkLocal.Kind);
        Assert.Equal(AddressState.Tentative, linkLocal.State);

        var frame = Assert.Single(host.Frames());
        var eth = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
        Assert.Equal("3333FF123456", eth.DestinationHardwareAddress.ToString());
        var ip = (IPv6Packet)eth.PayloadPacket;
        Assert.Equal(Address.AnyV6, Address.FromIPAddress(ip.SourceAddress));
        Assert.Equal(Address.Parse("ff02::1:ff12:3456"), Address.FromIPAddress(ip.DestinationAddress));
        Assert.Equal(255, ip.HopLimit);
        var ns = Assert.IsType<NdpNeighborSolicitationPacket>(ip.PayloadPacket.PayloadPacket);
        Assert.True(((IcmpV6Packet)ip.PayloadPacket).ValidIcmpChecksum);
        Assert.Equal(Ipv6TestHost.LinkLocal, Address.FromIPAddress(ns.TargetAddress));
        Assert.DoesNotContain(ns.OptionsCollection, o => o is NdpLinkLayerAddressOption);
        // The nonce option (RFC 7527) follows the target.
        Assert.Equal([14, 1], frame[(14 + 40 + 24)..(14 + 40 + 26)]);

        host.Time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(AddressState.Tentative, linkLocal.State);
        host.Time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal(AddressState.Assigned, linkLocal.State);
        Assert.Equal(1, host.Ip.IcmpStats.DadSucceeded.Value);
    }

    [Fact]
    public void DadSendsTheConfiguredNumberOfSolicitations()
    {
        using var host = new Ipv6TestHost(Quiet with { DupAddrDetectTransmits = 3 }, addAddress: false, settle: false);
        var linkLocal = host.Nic.Addresses[0];
        for (int i = 0; i < 3; i++)
        {
            Assert.Single(host.Frames());
            Assert.Equal(AddressState.Tentative, linkLocal.State);
            host.Time.Advance(TimeSpan.FromSeconds(1.001));
        }
        Assert.Empty(host.Frames());
        Assert.Equal(AddressState.Assigned, linkLocal.State);
    }

    [Fact]
    public void AdvertisementForATentativeAddressMakesItDuplicate()
    {
        using var host = new Ipv6TestHost(settle: false);
        var global = host.Nic.FindAddress(Global)!;
        host.Receive(Ipv6(Peer, Address.AllNodesV6, 58, Na(Peer, Address.AllNodesV6, Global, false, true, PeerMac), hopLimit: 255));

        Assert.Equal(AddressState.Duplicate, global.State);
        host.Time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(AddressState.Duplicate, global.State);
        Assert.Equal(1, host.Ip.IcmpStats.DadDuplicates.Value);
        Assert.False(host.Nic.HasAddress(Global));
        Assert.NotEqual(Global, host.Ip.SelectSourceAddress(host.Nic, Peer));
    }

    [Fact]
    public void DadSolicitationFromAnotherNodeMakesItDuplicate()
    {
        using var host = new Ipv6TestHost(settle: false);
        var group = Ipv6Address.SolicitedNode(Global);
        host.Receive(Ipv6(Address.AnyV6, group, 58, Ns(Address.AnyV6, group, Global, nonce: 0x123456), hopLimit: 255));

        Assert.Equal(AddressState.Duplicate, host.Nic.FindAddress(Global)!.State);
    }

    [Fact]
    public void OurOwnDadSolicitationLoopedBackIsNotAConflict()
    {
        using var host = new Ipv6TestHost(addAddress: false, settle: false);
        var ours = Assert.Single(host.Frames());
        host.Link.InjectFrame(ours);

        host.Time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.Equal(AddressState.Assigned, host.Nic.Addresses[0].State);
    }

    [Fact]
    public void SolicitationForOurAddressIsAnsweredAndTheSenderCached()
    {
        using var host = new Ipv6TestHost();
        var group = Ipv6Address.SolicitedNode(Global);
        host.Receive(Ipv6(Other, group, 58, Ns(Other, group, Global, OtherMac), hopLimit: 255), sourceMac: OtherMac);

        var frame = Assert.Single(host.Frames());
        var eth = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
        Assert.Equal("020000000003", eth.DestinationHardwareAddress.ToString());
        var ip = (IPv6Packet)eth.PayloadPacket;
        Assert.Equal(Global, Address.FromIPAddress(ip.SourceAddress));
        Assert.Equal(Other, Address.FromIPAddress(ip.DestinationAddress));
        Assert.Equal(255, ip.HopLimit);
        Assert.True(((IcmpV6Packet)ip.PayloadPacket).ValidIcmpChecksum);
        var na = Assert.IsType<NdpNeighborAdvertisementPacket>(ip.PayloadPacket.PayloadPacket);
        Assert.True(na.Solicited);
        Assert.True(na.Override);
        Assert.False(na.Router);
        Assert.Equal(Global, Address.FromIPAddress(na.TargetAddress));
        var tlla = Assert.IsType<NdpLinkLayerAddressOption>(Assert.Single(na.OptionsCollection));
        Assert.Equal("525400123456", tlla.LinkLayerAddress.ToString());

        Assert.True(host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(Other, out var entry));
        Assert.Equal(new NeighborEntrySnapshot(Other, OtherMac, NeighborState.Stale), entry);
    }

    [Fact]
    public void DadSolicitationForAnAssignedAddressIsDefendedToAllNodes()
    {
        using var host = new Ipv6TestHost();
        var group = Ipv6Address.SolicitedNode(Global);
        host.Receive(Ipv6(Address.AnyV6, group, 58, Ns(Address.AnyV6, group, Global), hopLimit: 255));

        var ip = Assert.Single(host.Sent());
        Assert.Equal(Address.AllNodesV6, Address.FromIPAddress(ip.DestinationAddress));
        var na = Assert.IsType<NdpNeighborAdvertisementPacket>(ip.PayloadPacket.PayloadPacket);
        Assert.False(na.Solicited);
        Assert.True(na.Override);
        Assert.Equal(AddressState.Assigned, host.Nic.FindAddress(Global)!.State);
    }

    public static TheoryData<string, byte[], string> InvalidSolicitations
    {
        get
        {
            var group = Ipv6Address.SolicitedNode(Global);
            return new()
            {
                { "hop limit 64", Ipv6(Other, group, 58, Ns(Other, group, Global, OtherMac), hopLimit: 64), nameof(Icmpv6Stats.DroppedNdpHopLimit) },
                { "code 1", Ipv6(Other, group, 58, Ns(Other, group, Global, OtherMac, code: 1), hopLimit: 255), nameof(Icmpv6Stats.DroppedNdpBadCode) },
                { "multicast target", Ipv6(Other, group, 58, Ns(Other, group, Address.AllNodesV6, OtherMac), hopLimit: 255), nameof(Icmpv6Stats.DroppedNdpMulticastTarget) },
                { "option of length 0", Ipv6(Other, group, 58, Icmp(Other, group, 135, 0, Concat(new byte[4], Bytes(Global), [1, 0, 0, 0, 0, 0, 0, 0])), hopLimit: 255), nameof(Icmpv6Stats.DroppedNdpBadOption) },
                { "option past the end", Ipv6(Other, group, 58, Icmp(Other, group, 135, 0, Concat(new byte[4], Bytes(Global), [1, 2, 0, 0, 0, 0, 0, 0])), hopLimit: 255), nameof(Icmpv6Stats.DroppedNdpBadOption) },
                { "DAD to a unicast address", Ipv6(Address.AnyV6, Global, 58, Ns(Address.AnyV6, Global, Global), hopLimit: 255), nameof(Icmpv6Stats.DroppedNdpBadDadSolicitation) },
                { "DAD with a source link address", Ipv6(Address.AnyV6, group, 58, Ns(Address.AnyV6, group, Global, OtherMac), hopLimit: 255), nameof(Icmpv6Stats.DroppedNdpBadDadSolicitation) },
                { "truncated", Ipv6(Other, group, 58, Icmp(Other, group, 135, 0, new byte[12]), hopLimit: 255), nameof(Icmpv6Stats.DroppedTooShort) },
                { "someone else's target", Ipv6(Other, Ipv6Address.SolicitedNode(Global), 58, Ns(Other, group, Address.Parse("fd00::1:0:0:1"), OtherMac), hopLimit: 255), nameof(Icmpv6Stats.DroppedNdpNotForUs) },
            };
        }
    }

    [Theory]
    [MemberData(nameof(InvalidSolicitations))]
    public void InvalidSolicitationsAreDroppedAndCounted(string what, byte[] packet, string counter)
    {
        using var host = new Ipv6TestHost();
        host.Receive(packet);

        Assert.Empty(host.Frames());
        var value = ((Netstack.Stack.Counters.Counter)typeof(Icmpv6Stats).GetProperty(counter)!.GetValue(host.Ip.IcmpStats)!).Value;
        Assert.True(value == 1, $"{what}: {counter} = {value}");
        Assert.False(host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(Other, out _));
        Assert.Equal(AddressState.Assigned, host.Nic.FindAddress(Global)!.State);
    }

    [Fact]
    public void SolicitedAdvertisementToMulticastIsDropped()
    {
        using var host = new Ipv6TestHost();
        host.Receive(Ipv6(Other, Address.AllNodesV6, 58, Na(Other, Address.AllNodesV6, Other, true, true, OtherMac), hopLimit: 255));
        Assert.Equal(1, host.Ip.IcmpStats.DroppedNdpSolicitedToMulticast.Value);
    }

    [Fact]
    public void SendingToAnUnknownNeighbourSolicitsThenSendsOnTheAdvertisement()
    {
        using var host = new Ipv6TestHost(staticPeer: false);
        host.SendUdp(Other, "queued"u8.ToArray());

        var ip = Assert.Single(host.Sent());
        Assert.Equal(Global, Address.FromIPAddress(ip.SourceAddress));
        Assert.Equal(Address.Parse("ff02::1:ff00:3"), Address.FromIPAddress(ip.DestinationAddress));
        var ns = Assert.IsType<NdpNeighborSolicitationPacket>(ip.PayloadPacket.PayloadPacket);
        Assert.Equal(Other, Address.FromIPAddress(ns.TargetAddress));
        var slla = Assert.IsType<NdpLinkLayerAddressOption>(Assert.Single(ns.OptionsCollection));
        Assert.Equal("525400123456", slla.LinkLayerAddress.ToString());

        host.Receive(Ipv6(Other, Global, 58, Na(Other, Global, Other, true, true, OtherMac), hopLimit: 255), sourceMac: OtherMac);

        var frame = Assert.Single(host.Frames());
        var eth = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
        Assert.Equal("020000000003", eth.DestinationHardwareAddress.ToString());
        Assert.Equal("queued"u8.ToArray(), ((UdpPacket)eth.PayloadPacket.PayloadPacket).PayloadData);
        var cache = host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!;
        Assert.True(cache.TryGetEntry(Other, out var entry));
        Assert.Equal(NeighborState.Reachable, entry.State);
    }

    [Fact]
    public void UnreachabilityDetectionProbesWithUnicastSolicitations()
    {
        using var host = new Ipv6TestHost(staticPeer: false);
        host.SendUdp(Other, [1]);
        host.Receive(Ipv6(Other, Global, 58, Na(Other, Global, Other, true, true, OtherMac), hopLimit: 255));
        host.Frames();

        host.Time.Advance(TimeSpan.FromSeconds(46)); // past the reachable time: STALE
        host.SendUdp(Other, [2]);                  // DELAY
        host.Time.Advance(TimeSpan.FromSeconds(5.1)); // PROBE
        var frames = host.Frames();
        var probe = host.Decode(frames[^1]);
        var eth = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frames[^1]);
        Assert.Equal("020000000003", eth.DestinationHardwareAddress.ToString());
        Assert.Equal(Other, Address.FromIPAddress(probe.DestinationAddress));
        Assert.IsType<NdpNeighborSolicitationPacket>(probe.PayloadPacket.PayloadPacket);
        host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(Other, out var entry);
        Assert.Equal(NeighborState.Probe, entry.State);

        // A solicited advertisement confirms it again.
        host.Receive(Ipv6(Other, Global, 58, Na(Other, Global, Other, true, false), hopLimit: 255));
        host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(Other, out entry);
        Assert.Equal(NeighborState.Reachable, entry.State);
    }

    [Fact]
    public void UnansweredResolutionGivesUpAfterThreeSolicitations()
    {
        using var host = new Ipv6TestHost(staticPeer: false);
        host.SendUdp(Other, [1]);
        host.Advance(TimeSpan.FromSeconds(3.5));

        Assert.Equal(3, host.Sent().Count);
        Assert.False(host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(Other, out _));
        Assert.Equal(1, host.Nic.Stats.ResolutionFailures.Value);
    }

    [Fact]
    public void TwoStacksResolveEachOtherAndExchangeTraffic()
    {
        using var a = new Ipv6TestHost(staticPeer: false);
        using var b = new Ipv6TestHost(staticPeer: false, mac: OtherMac, address: Peer);
        using var cable = new Netstack.Link.Channel.ChannelLink(a.Link, b.Link);

        Assert.True(a.SendUdp(Peer, "over the cable"u8.ToArray(), destinationPort: 7).Ok);

        Assert.True(SpinWait.SpinUntil(() => b.Udp.Packets.Count == 1, TimeSpan.FromSeconds(5)));
        Assert.Equal("over the cable"u8.ToArray(), b.Udp.Packets[0].Data[8..]);
        a.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(Peer, out var fromA);
        b.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(Global, out var fromB);
        Assert.Equal(new NeighborEntrySnapshot(Peer, OtherMac, NeighborState.Reachable), fromA);
        Assert.Equal(new NeighborEntrySnapshot(Global, Mac, NeighborState.Stale), fromB);

        Assert.True(b.SendUdp(Global, "and back"u8.ToArray(), destinationPort: 7).Ok);
        Assert.True(SpinWait.SpinUntil(() => a.Udp.Packets.Count == 1, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void RouterSolicitationsFollowTheLinkLocalAddressAndStopOnAnAdvertisement()
    {
        using var host = new Ipv6TestHost(new Ipv6Options(), addAddress: false, settle: false);
        host.Frames();
        host.Advance(TimeSpan.FromSeconds(2.1));

        var rs = Assert.Single(host.Sent());
        Assert.Equal(Ipv6TestHost.LinkLocal, Address.FromIPAddress(rs.SourceAddress));
        Assert.Equal(Address.AllRoutersV6, Address.FromIPAddress(rs.DestinationAddress));
        Assert.Equal(255, rs.HopLimit);
        var message = Assert.IsType<NdpRouterSolicitationPacket>(rs.PayloadPacket.PayloadPacket);
        Assert.IsType<NdpLinkLayerAddressOption>(Assert.Single(message.OptionsCollection));

        host.Advance(TimeSpan.FromSeconds(4));
        Assert.Single(host.Sent());
        host.Receive(Ipv6(RouterAddress, Address.AllNodesV6, 58, Ra(RouterAddress, Address.AllNodesV6, 0), hopLimit: 255));
        host.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(host.Sent());
        Assert.Equal(2, host.Ip.IcmpStats.RouterSolicitationsSent.Value);
    }

    [Fact]
    public void RouterAdvertisementConfiguresRouterPrefixAddressAndMtu()
    {
        using var host = new Ipv6TestHost(addAddress: false);
        host.Receive(Ipv6(RouterAddress, Address.AllNodesV6, 58, Ra(RouterAddress, Address.AllNodesV6, 1800,
            LinkAddressOption(1, RouterMac), MtuOption(1400),
            PrefixOption("2001:db8:1::/64", onLink: true, autonomous: true, valid: 3600, preferred: 1800)), hopLimit: 255));

        Assert.Contains(new RouteEntry(Subnet.Parse("::/0"), RouterAddress, 1, 1024), host.Stack.Routes.Routes);
        Assert.Contains(RouteEntry.OnLink(Subnet.Parse("2001:db8:1::/64"), 1, 256), host.Stack.Routes.Routes);
        var slaac = Address.Parse("2001:db8:1::5054:ff:fe12:3456");
        var entry = host.Nic.FindAddress(slaac)!;
        Assert.Equal(AddressKind.Autoconfigured, entry.Kind);
        Assert.Equal(64, entry.AddressWithPrefix.PrefixLength);
        Assert.Equal(AddressState.Tentative, entry.State);
        Assert.Equal(1400, host.Ip.PathMtu(host.Nic, Address.Parse("2001:db8:99::1")));
        host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(RouterAddress, out var router);
        Assert.Equal(new NeighborEntrySnapshot(RouterAddress, RouterMac, NeighborState.Stale), router);
        Assert.Equal([RouterAddress], host.Ip.DefaultRouters(host.Nic));

        host.Time.Advance(TimeSpan.FromSeconds(1.5));
        host.Frames();
        Assert.Equal(AddressState.Assigned, entry.State);

        // Off-link traffic goes to the router's MAC, from the SLAAC address.
        host.SendUdp(Address.Parse("2001:db8:99::1"), [1]);
        var frame = Assert.Single(host.Frames());
        Assert.Equal(RouterMac, LinkAddress.FromBytes(frame));
        Assert.Equal(slaac, Address.ReadV6(frame.AsSpan(14 + 8)));

        host.Time.Advance(TimeSpan.FromSeconds(1800));
        Assert.Equal(AddressState.Deprecated, entry.State);
        Assert.DoesNotContain(host.Stack.Routes.Routes, r => r.Destination.PrefixLength == 0);
        host.Time.Advance(TimeSpan.FromSeconds(1800));
        Assert.Null(host.Nic.FindAddress(slaac));
        Assert.DoesNotContain(host.Stack.Routes.Routes, r => r.Destination == Subnet.Parse("2001:db8:1::/64"));
    }

    [Fact]
    public void AdvertisementCannotCutAnAddressBelowTwoHours()
    {
        using var host = new Ipv6TestHost(addAddress: false);
        var prefix = "2001:db8:2::/64";
        host.Receive(Ipv6(RouterAddress, Address.AllNodesV6, 58, Ra(RouterAddress, Address.AllNodesV6, 0,
            PrefixOption(prefix, true, true, 100_000, 100_000)), hopLimit: 255));
        host.Receive(Ipv6(RouterAddress, Address.AllNodesV6, 58, Ra(RouterAddress, Address.AllNodesV6, 0,
            PrefixOption(prefix, true, true, 10, 10)), hopLimit: 255));

        var slaac = Address.Parse("2001:db8:2::5054:ff:fe12:3456");
        host.Time.Advance(TimeSpan.FromSeconds(7000));
        Assert.NotNull(host.Nic.FindAddress(slaac));
        host.Time.Advance(TimeSpan.FromSeconds(300));
        Assert.Null(host.Nic.FindAddress(slaac));
    }

    [Fact]
    public void PrefixWithoutTheOnLinkFlagGivesAnAddressButNoRoute()
    {
        using var host = new Ipv6TestHost(addAddress: false);
        host.Receive(Ipv6(RouterAddress, Address.AllNodesV6, 58, Ra(RouterAddress, Address.AllNodesV6, 0,
            PrefixOption("2001:db8:3::/64", onLink: false, autonomous: true, 600, 600)), hopLimit: 255));

        var entry = host.Nic.FindAddress(Address.Parse("2001:db8:3::5054:ff:fe12:3456"))!;
        Assert.Equal(128, entry.AddressWithPrefix.PrefixLength);
        Assert.DoesNotContain(host.Stack.Routes.Routes, r => r.Destination.Network == Address.Parse("2001:db8:3::"));
    }

    [Fact]
    public void RouterLifetimeZeroRemovesTheRouter()
    {
        using var host = new Ipv6TestHost(addAddress: false);
        host.Receive(Ipv6(RouterAddress, Address.AllNodesV6, 58, Ra(RouterAddress, Address.AllNodesV6, 600), hopLimit: 255));
        Assert.Single(host.Ip.DefaultRouters(host.Nic));
        host.Receive(Ipv6(RouterAddress, Address.AllNodesV6, 58, Ra(RouterAddress, Address.AllNodesV6, 0), hopLimit: 255));
        Assert.Empty(host.Ip.DefaultRouters(host.Nic));
        Assert.DoesNotContain(host.Stack.Routes.Routes, r => r.Destination.PrefixLength == 0);
    }

    [Fact]
    public void InvalidRouterAdvertisementsAreIgnored()
    {
        using var host = new Ipv6TestHost(addAddress: false);
        host.Receive(Ipv6(Peer, Address.AllNodesV6, 58, Ra(Peer, Address.AllNodesV6, 600), hopLimit: 255));
        host.Receive(Ipv6(RouterAddress, Address.AllNodesV6, 58, Ra(RouterAddress, Address.AllNodesV6, 600), hopLimit: 64));
        host.Receive(Ipv6(RouterAddress, Address.AllNodesV6, 58, Ra(RouterAddress, Address.AllNodesV6, 600, [3, 0, 0, 0, 0, 0, 0, 0]), hopLimit: 255));

        Assert.Empty(host.Ip.DefaultRouters(host.Nic));
        Assert.Equal(1, host.Ip.IcmpStats.DroppedNdpRouterNotLinkLocal.Value);
        Assert.Equal(1, host.Ip.IcmpStats.DroppedNdpHopLimit.Value);
        Assert.Equal(1, host.Ip.IcmpStats.DroppedNdpBadOption.Value);
    }

    [Fact]
    public void RedirectsAndRouterSolicitationsAreIgnored()
    {
        using var host = new Ipv6TestHost();
        host.Receive(Ipv6(RouterAddress, Global, 58, Icmp(RouterAddress, Global, 137, 0, new byte[36]), hopLimit: 255));
        host.Receive(Ipv6(PeerLinkLocal, Address.AllRoutersV6, 58, Icmp(PeerLinkLocal, Address.AllRoutersV6, 133, 0, new byte[4]), hopLimit: 255));

        Assert.Equal(1, host.Ip.IcmpStats.IgnoredRedirects.Value);
        Assert.Empty(host.Frames());
    }

    [Fact]
    public void DisablingAndEnablingTheNicRunsDadAgain()
    {
        using var host = new Ipv6TestHost();
        host.Stack.DisableNic(1);
        Assert.Equal(AddressState.Tentative, host.Nic.FindAddress(Global)!.State);
        host.Stack.EnableNic(1);
        Assert.Equal(2, host.Sent().Count);
        host.Time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.All(host.Nic.Addresses, a => Assert.Equal(AddressState.Assigned, a.State));
    }

    [Fact]
    public void LinksWithoutResolutionHaveNoNdpDadOrLinkLocal()
    {
        using var host = new Ipv6TestHost(ethernet: false, settle: false);

        var only = Assert.Single(host.Nic.Addresses);
        Assert.Equal(AddressState.Assigned, only.State);
        Assert.Null(host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6));
        Assert.Empty(host.Frames());

        host.Receive(Ipv6(Peer, Global, 58, EchoRequest(Peer, Global, 3, 4, [5, 6])));
        var reply = Assert.Single(host.Sent());
        Assert.Equal(Peer, Address.FromIPAddress(reply.DestinationAddress));
    }
}
