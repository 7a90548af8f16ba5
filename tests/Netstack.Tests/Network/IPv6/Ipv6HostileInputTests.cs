using Netstack.Network.IPv6;
using Netstack.Tests.Fuzz;

namespace Netstack.Tests.Network.IPv6;

/// <summary>Regression tests for what fuzzing and review of the IPv6 receive path found.</summary>
public sealed class Ipv6HostileInputTests : IDisposable
{
    private readonly FuzzHost _host = new(ethernet: true, new FuzzLimits
    {
        Ipv6 = new Ipv6Options { MaxFragmentsPerPacket = 64 },
    });

    public void Dispose() => _host.Dispose();

    [Fact]
    public void UdpFromOurOwnAddressIsDropped()
    {
        long framesBefore = _host.FramesOut;
        foreach (var own in new[] { FuzzHost.Us6, FuzzHost.OurLinkLocal })
        {
            _host.Inject(_host.Frame(Wire.Ipv6(own, FuzzHost.Us6, Wire.Udp,
                Wire.UdpDatagram(own, FuzzHost.Us6, FuzzHost.EchoPort, FuzzHost.EchoPort, "loop"u8))));
            _host.Inject(_host.Frame(Wire.Ipv6(own, FuzzHost.Us6, Wire.Udp, Wire.UdpDatagram(own, FuzzHost.Us6, 9, 9999, "x"u8))));
            _host.Inject(_host.Frame(Wire.Ipv6(own, FuzzHost.Us6, Wire.Icmpv6, Wire.Icmp6(own, FuzzHost.Us6, 128, 0, 1, "ping"u8))));
        }
        Assert.Equal(6, _host.Ip6.Stats.DroppedBadAddress.Value);
        Assert.Equal(0, _host.Echo6.QueuedDatagrams);
        Assert.Equal(0, _host.Stack.Stats.LoopbackPackets.Value);
        Assert.Equal(framesBefore, _host.FramesOut);
    }

    [Fact]
    public void FragmentedNeighborSolicitationIsIgnored()
    {
        // RFC 6980: NDP messages in fragments are dropped (they would slip past RA-Guard style filters).
        long framesBefore = _host.FramesOut;
        var src = Address.Parse("fe80::77");
        var ns = Wire.Icmp6(src, FuzzHost.Us6, 135, 0, 0,
            Wire.NdpTargetBody(FuzzHost.Us6, Wire.NdpLinkAddressOption(1, LinkAddress.Parse("02:00:00:00:00:77"))));
        foreach (var fragment in Wire.FragmentIpv6(src, FuzzHost.Us6, Wire.Icmpv6, ns, 16, 7))
        {
            fragment[7] = 255;
            _host.Inject(_host.Frame(fragment));
        }
        Assert.Equal(1, _host.Ip6.Stats.PacketsReassembled.Value);
        Assert.Equal(1, _host.Ip6.Stats.DroppedFragmentedNdp.Value);
        Assert.Equal(0, _host.Ip6.IcmpStats.NeighborSolicitationsReceived.Value);
        Assert.Equal(framesBefore, _host.FramesOut);
        Assert.False(_host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(src, out _));
    }

    [Fact]
    public void FragmentedRouterAdvertisementIsIgnored()
    {
        var router = Address.Parse("fe80::1");
        var ra = Wire.Icmp6(router, Address.AllNodesV6, 134, 0, 64u << 24 | 1800, [.. new byte[8],
            .. Wire.NdpPrefixOption(Address.Parse("2001:db8:1::"), 64, true, true, 86400, 3600)]);
        foreach (var fragment in Wire.FragmentIpv6(router, Address.AllNodesV6, Wire.Icmpv6, ra, 24, 9))
        {
            fragment[7] = 255;
            _host.Inject(_host.Frame(fragment, LinkAddress.FromIPv6Multicast(Address.AllNodesV6)));
        }
        Assert.Equal(1, _host.Ip6.Stats.DroppedFragmentedNdp.Value);
        Assert.Empty(_host.Ip6.DefaultRouters(_host.Nic));
    }

    [Fact]
    public void ReassemblyLongerThan65535BytesIsDropped()
    {
        // The first fragment carries a 1,024-byte destination options header before its fragment header; the
        // others carry none. Each fragment alone fits 65,535 bytes, but the packet rebuilt behind the first
        // fragment's header chain would not (RFC 8200 section 4.5; Linux drops it as oversize).
        var src = FuzzHost.Peer6;
        var payload = Wire.UdpDatagram(src, FuzzHost.Us6, 4444, FuzzHost.EchoPort, new byte[65_527 - 8]);
        // Four options of a type to skip (00 action bits), 255 bytes each.
        var options = Enumerable.Range(0, 4).SelectMany(_ => (byte[])[0x1E, 253, .. new byte[253]]).ToArray();
        var unfragmentable = Wire.OptionsHeader(Wire.Fragment, options);
        Assert.Equal(1024, unfragmentable.Length);
        const int per = 1448;
        for (int offset = 0; offset < payload.Length; offset += per)
        {
            int n = Math.Min(per, payload.Length - offset);
            bool first = offset == 0;
            var fragment = Wire.Ipv6Fragment(src, FuzzHost.Us6, Wire.Udp, payload.AsSpan(offset, n), offset, offset + n < payload.Length, 99,
                first ? unfragmentable : null, Wire.DestinationOptions);
            _host.Inject(_host.Frame(fragment));
        }
        Assert.Equal(0, _host.Ip6.Stats.PacketsReassembled.Value);
        Assert.Equal(1, _host.Ip6.Stats.DroppedFragmentTooBig.Value);
        Assert.Equal(0, _host.Echo6.QueuedDatagrams);
        Assert.Equal(0, _host.Ip6.ReassemblyBytes);
        _host.CheckInvariants();
    }
}
