using System.Buffers.Binary;
using Netstack.Network.IPv6;
using Netstack.Stack.Neighbors;
using Netstack.Tests.Fuzz;
using Netstack.Transport.Udp;

namespace Netstack.Tests.Stack;

/// <summary>
/// ARP and NDP floods from many source addresses: the neighbour cache stays within its bound, and the entries
/// this host is actually sending to survive the flood (an attacker's probes only ever displace each other).
/// </summary>
public sealed class NeighborCacheFloodTests
{
    private static readonly Address Neighbor4 = Address.Parse("10.0.0.9");
    private static readonly Address Neighbor6 = Address.Parse("fd00::9");
    private static readonly LinkAddress NeighborMac = LinkAddress.Parse("02:00:00:00:00:09");

    [Theory]
    [InlineData(16, 200)]
    [InlineData(512, 3000)]
    public void ArpRequestFloodKeepsTheNeighborsInUse(int entries, int flood)
    {
        using var host = new FuzzHost(ethernet: true, new FuzzLimits { NeighborEntries = entries });
        var socket = Resolve4(host);
        var cache = host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!;
        var rng = new Random(1);
        for (int i = 0; i < flood; i++)
        {
            var mac = LinkAddress.FromUInt64(0x0200_0000_0000UL | (ulong)rng.NextInt64(1, 1L << 40));
            var sender = Address.V4(10, 0, (byte)(1 + i / 250), (byte)(1 + i % 250));
            host.Inject(Wire.Ethernet(LinkAddress.Broadcast, mac, Wire.EtherArp,
                Wire.Arp(1, mac, sender, LinkAddress.FromUInt64(0), FuzzHost.Us4)));
            Assert.True(cache.Count <= entries);
        }
        Assert.True(cache.TryGetEntry(Neighbor4, out var entry));
        Assert.Equal(NeighborState.Reachable, entry.State);
        Assert.True(cache.TryGetEntry(FuzzHost.Peer4, out _));
        // Traffic to it still goes out at once, without a new resolution.
        Assert.Equal(TcpipError.None, socket.WriteTo("after"u8, new FullAddress(Neighbor4, 9)));
        Assert.Equal(1, CountUdpOut(host.Flush(), NeighborMac));
        socket.Close();
        host.CheckLiveness();
    }

    [Theory]
    [InlineData(16, 200)]
    [InlineData(512, 3000)]
    public void NeighborSolicitationFloodKeepsTheNeighborsInUse(int entries, int flood)
    {
        using var host = new FuzzHost(ethernet: true, new FuzzLimits { NeighborEntries = entries });
        var socket = Resolve6(host);
        var cache = host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!;
        var rng = new Random(2);
        for (int i = 0; i < flood; i++)
        {
            var mac = LinkAddress.FromUInt64(0x0200_0000_0000UL | (ulong)rng.NextInt64(1, 1L << 40));
            var src = Address.FromV6(0xFE80_0000_0000_0000, (ulong)rng.NextInt64());
            var dst = Ipv6Address.SolicitedNode(FuzzHost.Us6);
            host.Inject(Wire.Ethernet(LinkAddress.FromIPv6Multicast(dst), mac, Wire.EtherIPv6, Wire.Ipv6(src, dst, Wire.Icmpv6,
                Wire.Icmp6(src, dst, 135, 0, 0, Wire.NdpTargetBody(FuzzHost.Us6, Wire.NdpLinkAddressOption(1, mac))), 255)));
            Assert.True(cache.Count <= entries);
        }
        Assert.True(cache.TryGetEntry(Neighbor6, out var entry));
        Assert.Equal(NeighborState.Reachable, entry.State);
        Assert.Equal(TcpipError.None, socket.WriteTo("after"u8, new FullAddress(Neighbor6, 9)));
        Assert.Equal(1, CountUdpOut(host.Flush(), NeighborMac));
        socket.Close();
        host.CheckLiveness();
    }

    [Fact]
    public void NewNeighborsStillResolveDuringAFlood()
    {
        using var host = new FuzzHost(ethernet: true, new FuzzLimits { NeighborEntries = 16 });
        var rng = new Random(3);
        for (int i = 0; i < 100; i++)
        {
            var mac = LinkAddress.FromUInt64(0x0200_0000_0000UL | (ulong)rng.NextInt64(1, 1L << 40));
            host.Inject(Wire.Ethernet(LinkAddress.Broadcast, mac, Wire.EtherArp,
                Wire.Arp(1, mac, Address.V4(10, 0, 1, (byte)(i + 1)), LinkAddress.FromUInt64(0), FuzzHost.Us4)));
        }
        var socket = Resolve4(host);
        for (int i = 0; i < 100; i++)
        {
            var mac = LinkAddress.FromUInt64(0x0200_0000_0000UL | (ulong)rng.NextInt64(1, 1L << 40));
            host.Inject(Wire.Ethernet(LinkAddress.Broadcast, mac, Wire.EtherArp,
                Wire.Arp(1, mac, Address.V4(10, 0, 2, (byte)(i + 1)), LinkAddress.FromUInt64(0), FuzzHost.Us4)));
        }
        Assert.True(host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!.TryGetEntry(Neighbor4, out _));
        socket.Close();
    }

    [Fact]
    public void PacketsWaitingForResolutionAreBoundedInBytes()
    {
        // Jumbo pings from spoofed on-link sources that never answer ARP: every reply waits for resolution
        // holding the request's 64 KB receive buffer. A bound on the count of packets alone let 64 of them pin
        // 4 MB per neighbour (2 GB for a full cache of 512).
        var limits = new FuzzLimits { NeighborEntries = 8, PendingPerNeighbor = 64, Mtu = 65_535 };
        using var host = new FuzzHost(ethernet: true, limits);
        var cache = host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!;
        int perEntry = new NeighborOptions().MaxPendingBytesPerEntry;
        var data = new byte[60_000];
        for (int source = 0; source < 8; source++)
        {
            var src = Address.V4(10, 0, 0, (byte)(100 + source));
            var mac = LinkAddress.FromUInt64(0x0200_0000_0100UL + (ulong)source);
            for (int ping = 0; ping < 12; ping++)
            {
                var request = Wire.Ipv4(src, FuzzHost.Us4, Wire.Icmpv4, Wire.Icmp4(8, 0, (uint)ping, data), (ushort)ping);
                host.Inject(Wire.Ethernet(FuzzHost.OurMac, mac, Wire.EtherIPv4, request));
            }
            Assert.True(cache.PendingBytes <= (source + 1) * perEntry, $"{cache.PendingBytes} bytes wait for resolution");
        }
        Assert.Equal(96, host.Ip4.IcmpStats.EchoRequestsReceived.Value);
        host.CheckLiveness();
    }

    [Fact]
    public void ALargeDatagramWaitingForResolutionKeepsAllItsFragments()
    {
        // Its fragments share the datagram's 64 KB chunk: the byte bound counts that chunk once, not per fragment.
        using var host = new FuzzHost(ethernet: true, new FuzzLimits { PendingPerNeighbor = 64 });
        var socket = host.Udp.CreateEndpoint(NetworkProtocolNumber.IPv4);
        Assert.Equal(TcpipError.None, socket.WriteTo(new byte[UdpProtocol.MaxIPv4Payload], new FullAddress(Neighbor4, 9)));
        var cache = host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!;
        Assert.True(cache.PendingBytes <= new NeighborOptions().MaxPendingBytesPerEntry, $"{cache.PendingBytes} bytes charged");
        host.Flush();
        host.Inject(Wire.Ethernet(FuzzHost.OurMac, NeighborMac, Wire.EtherArp, Wire.Arp(2, NeighborMac, Neighbor4, FuzzHost.OurMac, FuzzHost.Us4)));
        int fragments = host.LastOutput.Count(f => f.Length > 34 && LinkAddress.FromBytes(f) == NeighborMac && f[14 + 9] == Wire.Udp);
        Assert.Equal((UdpProtocol.MaxIPv4Payload + 8 + 1479) / 1480, fragments);
        Assert.Equal(0, cache.PendingBytes);
        socket.Close();
    }

    // Sends to the neighbour, answers our ARP request for it, and returns the socket (the neighbour is REACHABLE).
    private static Netstack.Transport.Udp.UdpEndpoint Resolve4(FuzzHost host)
    {
        var socket = host.Udp.CreateEndpoint(NetworkProtocolNumber.IPv4);
        Assert.Equal(TcpipError.None, socket.WriteTo("hello"u8, new FullAddress(Neighbor4, 9)));
        host.Inject(Wire.Ethernet(FuzzHost.OurMac, NeighborMac, Wire.EtherArp, Wire.Arp(2, NeighborMac, Neighbor4, FuzzHost.OurMac, FuzzHost.Us4)));
        Assert.True(host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!.TryGetEntry(Neighbor4, out var e));
        Assert.Equal(NeighborState.Reachable, e.State);
        return socket;
    }

    private static Netstack.Transport.Udp.UdpEndpoint Resolve6(FuzzHost host)
    {
        var socket = host.Udp.CreateEndpoint(NetworkProtocolNumber.IPv6);
        Assert.Equal(TcpipError.None, socket.WriteTo("hello"u8, new FullAddress(Neighbor6, 9)));
        var na = Wire.Icmp6(Neighbor6, FuzzHost.Us6, 136, 0, 0x6000_0000,
            Wire.NdpTargetBody(Neighbor6, Wire.NdpLinkAddressOption(2, NeighborMac)));
        host.Inject(Wire.Ethernet(FuzzHost.OurMac, NeighborMac, Wire.EtherIPv6, Wire.Ipv6(Neighbor6, FuzzHost.Us6, Wire.Icmpv6, na, 255)));
        Assert.True(host.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(Neighbor6, out var e));
        Assert.Equal(NeighborState.Reachable, e.State);
        return socket;
    }

    // UDP frames in `frames` sent to `mac`.
    private static int CountUdpOut(List<byte[]> frames, LinkAddress mac)
    {
        int n = 0;
        foreach (var frame in frames)
        {
            if (frame.Length > 14 && LinkAddress.FromBytes(frame) == mac)
            {
                ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
                byte protocol = type == Wire.EtherIPv4 ? frame[14 + 9] : frame[14 + 6];
                n += protocol == Wire.Udp ? 1 : 0;
            }
        }
        return n;
    }
}
