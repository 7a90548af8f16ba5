using Netstack.Network.IPv4;
using Netstack.Network.IPv6;
using Netstack.Stack.Neighbors;
using Netstack.Transport.Udp;
using Xunit.Abstractions;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// Floods against the stack's default limits: every bound holds during the flood, and legitimate traffic gets
/// through during and after it. (Neighbour cache floods are in <c>Stack/NeighborCacheFloodTests</c>.)
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class ResourceExhaustionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly FuzzLimits Defaults = new()
    {
        NeighborEntries = new NeighborOptions().MaxEntries,
        PendingPerNeighbor = new NeighborOptions().MaxPendingPacketsPerEntry,
        SocketBuffer = UdpEndpoint.DefaultReceiveBufferSize,
        Ipv4 = new Ipv4ProtocolOptions(),
        Ipv6 = new Ipv6Options(),
    };

    private readonly FuzzHost _host = new(ethernet: true, Defaults);

    public void Dispose() => _host.Dispose();

    [Fact]
    public void Ipv4FragmentFloodStaysWithinTheReassemblyLimits()
    {
        var rng = new Random(11);
        for (int i = 0; i < 6000; i++)
        {
            // Never-completing datagrams from many sources: a first fragment each, 1,480 bytes in a 2 KB chunk.
            var src = Address.V4(10, 0, (byte)rng.Next(1, 255), (byte)rng.Next(1, 255));
            var whole = Wire.Ipv4(src, FuzzHost.Us4, Wire.Udp, new byte[3000], (ushort)i);
            _host.Inject(_host.Frame(Wire.Ipv4Fragment(whole, 0, 1480, more: true)));
            Assert.True(_host.Ip4.ReassemblyMemory <= Defaults.Ipv4.ReassemblyHighWater);
            Assert.True(_host.Ip4.PendingReassemblies <= Defaults.Ipv4.MaxReassemblies);
        }
        output.WriteLine($"IPv4: {_host.Ip4.PendingReassemblies} reassemblies pin {_host.Ip4.ReassemblyMemory} bytes; {_host.Ip4.Stats}");
        Assert.True(_host.Ip4.Stats.ReassemblyEvicted.Value > 0);

        // A real fragmented datagram still gets through during the flood, and memory drains at the timeout.
        var datagram = Wire.Ipv4(FuzzHost.Peer4, FuzzHost.Us4, Wire.Udp,
            Wire.UdpDatagram(FuzzHost.Peer4, FuzzHost.Us4, 4444, FuzzHost.EchoPort, new byte[4000]), 0xBEEF);
        foreach (var fragment in Wire.FragmentIpv4(datagram, 1480))
        {
            _host.Inject(_host.Frame(fragment));
        }
        Assert.Equal(1, _host.Echo4.QueuedDatagrams);
        _host.Advance(31_000);
        Assert.Equal(0, _host.Ip4.ReassemblyMemory);
        Assert.Equal(0, _host.Ip4.PendingReassemblies);
        // Time exceeded is sent about every timed-out datagram whose first fragment arrived: within the rate limit.
        Assert.True(_host.Ip4.IcmpStats.ErrorsSent.Value <= Defaults.Ipv4.IcmpErrorBurst + 1);
        _host.CheckLiveness();
    }

    [Fact]
    public void Ipv6FragmentFloodStaysWithinTheReassemblyLimits()
    {
        var rng = new Random(12);
        for (int i = 0; i < 6000; i++)
        {
            var src = Address.FromV6(0xFD00_0000_0000_0000, (ulong)rng.NextInt64());
            _host.Inject(_host.Frame(Wire.Ipv6Fragment(src, FuzzHost.Us6, Wire.Udp, new byte[1448], 0, true, (uint)i)));
            Assert.True(_host.Ip6.ReassemblyBytes <= Defaults.Ipv6.MaxReassemblyBytes);
            Assert.True(_host.Ip6.PendingReassemblies <= Defaults.Ipv6.MaxReassemblies);
        }
        output.WriteLine($"IPv6: {_host.Ip6.PendingReassemblies} reassemblies pin {_host.Ip6.ReassemblyBytes} bytes; {_host.Ip6.Stats}");
        var payload = Wire.UdpDatagram(FuzzHost.Peer6, FuzzHost.Us6, 4444, FuzzHost.EchoPort, new byte[4000]);
        foreach (var fragment in Wire.FragmentIpv6(FuzzHost.Peer6, FuzzHost.Us6, Wire.Udp, payload, 1448, 0xBEEF))
        {
            _host.Inject(_host.Frame(fragment));
        }
        Assert.Equal(1, _host.Echo6.QueuedDatagrams);
        _host.Advance(61_000);
        Assert.Equal(0, _host.Ip6.ReassemblyBytes);
        Assert.Equal(0, _host.Ip6.PendingReassemblies);
        _host.CheckLiveness();
    }

    [Fact]
    public void OverlappingAndTinyFragmentsAreBounded()
    {
        // One datagram id hammered with overlapping 8-byte fragments, and 64+ fragments per datagram.
        for (int round = 0; round < 200; round++)
        {
            var whole = Wire.Ipv4(FuzzHost.Peer4, FuzzHost.Us4, Wire.Udp, new byte[2000], (ushort)round);
            for (int offset = 0; offset < 1000; offset += 8)
            {
                _host.Inject(_host.Frame(Wire.Ipv4Fragment(whole, offset, 16, more: true)));
            }
            Assert.True(_host.Ip4.PendingReassemblies <= Defaults.Ipv4.MaxReassemblies);
        }
        Assert.True(_host.Ip4.Stats.DroppedFragmentOverlap.Value > 0);
        for (int round = 0; round < 50; round++)
        {
            var whole = Wire.Ipv4(FuzzHost.Peer4, FuzzHost.Us4, Wire.Udp, new byte[2000], (ushort)(1000 + round));
            for (int offset = 0; offset < 1000; offset += 8)
            {
                _host.Inject(_host.Frame(Wire.Ipv4Fragment(whole, offset, 8, more: true)));
            }
        }
        Assert.True(_host.Ip4.Stats.DroppedTooManyFragments.Value >= 50);
        _host.CheckLiveness();
    }

    [Fact]
    public void IcmpErrorsAreRateLimitedUnderAFlood()
    {
        for (int i = 0; i < 10_000; i++)
        {
            _host.Inject(_host.Frame(Wire.Ipv4(FuzzHost.Peer4, FuzzHost.Us4, Wire.Udp,
                Wire.UdpDatagram(FuzzHost.Peer4, FuzzHost.Us4, 1, (ushort)(10_000 + i % 1000), "x"u8))));
            _host.Inject(_host.Frame(Wire.Ipv6(FuzzHost.Peer6, FuzzHost.Us6, Wire.Udp,
                Wire.UdpDatagram(FuzzHost.Peer6, FuzzHost.Us6, 1, (ushort)(10_000 + i % 1000), "x"u8))));
        }
        // No time has passed: the burst, no more.
        Assert.Equal(Defaults.Ipv4.IcmpErrorBurst, _host.Ip4.IcmpStats.ErrorsSent.Value);
        Assert.Equal(Defaults.Ipv6.IcmpErrorBurst, _host.Ip6.IcmpStats.ErrorsSent.Value);
        Assert.Equal(10_000 - Defaults.Ipv4.IcmpErrorBurst, _host.Ip4.IcmpStats.ErrorsRateLimited.Value);
        // Echo replies are not errors: they are answered during the flood.
        _host.CheckLiveness();
        // A second later the bucket holds its burst again, not a second's worth of rate.
        _host.Advance(1000);
        for (int i = 0; i < 2000; i++)
        {
            _host.Inject(_host.Frame(Wire.Ipv4(FuzzHost.Peer4, FuzzHost.Us4, Wire.Udp,
                Wire.UdpDatagram(FuzzHost.Peer4, FuzzHost.Us4, 1, 9999, "x"u8))));
        }
        Assert.Equal(2L * Defaults.Ipv4.IcmpErrorBurst, _host.Ip4.IcmpStats.ErrorsSent.Value);
    }

    [Fact]
    public void UdpReceiveBufferHoldsItsLimitUnderAFlood()
    {
        int limit = _host.Echo4.ReceiveBufferSize;
        for (int i = 0; i < 5000; i++)
        {
            _host.Inject(_host.Frame(Wire.Ipv4(FuzzHost.Peer4, FuzzHost.Us4, Wire.Udp,
                Wire.UdpDatagram(FuzzHost.Peer4, FuzzHost.Us4, 4444, FuzzHost.EchoPort, new byte[i % 1400]))));
            Assert.True(_host.Echo4.QueuedBytes < limit + 4096);
        }
        Assert.True(_host.Udp.Stats.DroppedReceiveBufferFull.Value > 4000);
        output.WriteLine($"{_host.Echo4.QueuedDatagrams} datagrams queued, {_host.Echo4.QueuedBytes} bytes charged of {limit}");
        // Reading frees the room again: new datagrams are accepted.
        _host.CheckLiveness();
    }

    [Fact]
    public void TinyDatagramsInJumboFramesAreChargedByTheMemoryTheyPin()
    {
        using var host = new FuzzHost(ethernet: false, Defaults with { Mtu = 65535 });
        int limit = host.Echo4.ReceiveBufferSize;
        for (int i = 0; i < 200; i++)
        {
            // A 1-byte datagram padded to 60 KB at the link: it keeps a 64 KB receive chunk alive.
            var ip = Wire.Ipv4(FuzzHost.Peer4, FuzzHost.Us4, Wire.Udp, Wire.UdpDatagram(FuzzHost.Peer4, FuzzHost.Us4, 4444, FuzzHost.EchoPort, "x"u8));
            host.Inject([.. ip, .. new byte[60_000]]);
        }
        Assert.True(host.Echo4.QueuedBytes < limit + 65_536 + 128, $"{host.Echo4.QueuedBytes} bytes charged");
        Assert.True(host.Echo4.QueuedDatagrams <= 4);
        host.CheckLiveness();
    }

    [Fact]
    public void PathMtuReportFloodStaysBounded()
    {
        // Forged "fragmentation needed" / Packet Too Big about packets "we sent" to 20,000 destinations each (what
        // one such report costs with a full cache is measured in HostileInputBenchmarks).
        for (int i = 0; i < 20_000; i++)
        {
            var destination = Address.FromV4(0xC000_0000u + (uint)i);
            var quoted = Wire.Ipv4(FuzzHost.Us4, destination, Wire.Udp, Wire.UdpDatagram(FuzzHost.Us4, destination, 5000, 53, []));
            _host.Inject(_host.Frame(Wire.Ipv4(FuzzHost.Peer4, FuzzHost.Us4, Wire.Icmpv4, Wire.Icmp4(3, 4, 576, quoted[..28]))));
            Assert.True(_host.Ip4.PathMtuEntries <= Defaults.Ipv4.MaxPathMtuEntries);
        }
        Assert.Equal(Defaults.Ipv4.MaxPathMtuEntries, _host.Ip4.PathMtuEntries);
        for (int i = 0; i < 20_000; i++)
        {
            var destination = Address.FromV6(0x2001_0DB8_0000_0000UL, (ulong)i);
            var quoted = Wire.Ipv6(FuzzHost.Us6, destination, Wire.Udp, Wire.UdpDatagram(FuzzHost.Us6, destination, 5000, 53, []));
            _host.Inject(_host.Frame(Wire.Ipv6(FuzzHost.Peer6, FuzzHost.Us6, Wire.Icmpv6,
                Wire.Icmp6(FuzzHost.Peer6, FuzzHost.Us6, 2, 0, 1280, quoted))));
        }
        // The newest reports won; the oldest were evicted.
        Assert.Equal(1280, _host.Ip6.LearnedPathMtu(Address.FromV6(0x2001_0DB8_0000_0000UL, 19_999)));
        Assert.Equal(0, _host.Ip6.LearnedPathMtu(Address.FromV6(0x2001_0DB8_0000_0000UL, 0)));
        _host.CheckLiveness();
    }

    [Fact]
    public void RouterAdvertisementFloodStaysBounded()
    {
        var rng = new Random(13);
        for (int i = 0; i < 500; i++)
        {
            var router = Address.FromV6(0xFE80_0000_0000_0000, (ulong)rng.NextInt64());
            var options = new List<byte>(Wire.NdpLinkAddressOption(1, LinkAddress.FromUInt64(0x0200_0000_0000UL + (ulong)i)));
            for (int p = 0; p < 4; p++)
            {
                var prefix = Address.FromV6(0x2001_0DB8_0000_0000UL | ((ulong)rng.Next() << 16), 0);
                options.AddRange(Wire.NdpPrefixOption(prefix, 64, onLink: true, autonomous: true, 86400, 3600));
            }
            var ra = Wire.Icmp6(router, Address.AllNodesV6, 134, 0, (64u << 24) | 1800, [.. new byte[8], .. options]);
            _host.Inject(_host.Frame(Wire.Ipv6(router, Address.AllNodesV6, Wire.Icmpv6, ra, 255), LinkAddress.FromIPv6Multicast(Address.AllNodesV6)));
        }
        _host.Advance(2000);
        Assert.True(_host.Ip6.DefaultRouters(_host.Nic).Count <= 16);
        Assert.True(_host.Nic.Addresses.Count <= 3 + 64, $"{_host.Nic.Addresses.Count} addresses");
        Assert.True(_host.Stack.Routes.Routes.Count <= 3 + 16 + 2 * 64, $"{_host.Stack.Routes.Routes.Count} routes");
        _host.CheckLiveness();
    }
}
