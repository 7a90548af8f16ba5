using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Network.IPv4;
using Netstack.Stack;
using static Netstack.Tests.Network.IPv4.Ipv4Harness;

namespace Netstack.Tests.Network.IPv4;

public sealed class Ipv4SendTests : IDisposable
{
    private readonly Ipv4Harness _h = new();

    public void Dispose() => _h.Dispose();

    private static byte[] Segment(int payload) => TestPackets.UdpSegment(5000, 7, TestPackets.Pattern(payload));

    [Fact]
    public void TheHeaderCarriesRouteAndParameters()
    {
        Assert.True(_h.Send(Peer, Segment(100)).Ok);
        var bytes = _h.ReadIp()!;
        var ip = TestPackets.Decode(bytes);
        Assert.Equal(4, (int)ip.Version);
        Assert.Equal(5, ip.HeaderLength);
        Assert.Equal(128, ip.TotalLength);
        Assert.Equal(64, ip.TimeToLive);
        Assert.Equal(PacketDotNet.ProtocolType.Udp, ip.Protocol);
        Assert.Equal(Us.ToIPAddress(), ip.SourceAddress);
        Assert.Equal(Peer.ToIPAddress(), ip.DestinationAddress);
        Assert.True(ip.ValidIPChecksum);
        Assert.Equal(0, ip.FragmentFlags);
        Assert.Equal(Segment(100), bytes[20..]);
        Assert.Equal(1, _h.Ip.Stats.PacketsSent.Value);
    }

    [Fact]
    public void TtlTosAndDontFragmentComeFromTheParameters()
    {
        Assert.True(_h.Send(Peer, Segment(10), new NetworkHeaderParams(17, Ttl: 5, Tos: 0xB8, DontFragment: true)).Ok);
        Assert.True(Ipv4Header.TryParse(_h.ReadIp()!, out var h));
        Assert.Equal(5, h.Ttl);
        Assert.Equal(0xB8, h.Tos);
        Assert.True(h.DontFragment);
    }

    [Fact]
    public void IdentificationsDifferBetweenDatagrams()
    {
        Assert.True(_h.Send(Peer, Segment(10), count: 50).Ok);
        var ids = _h.ReadAll().Select(f => BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(4))).ToList();
        Assert.Equal(50, ids.Distinct().Count());
    }

    [Fact]
    public void ABatchGoesToTheLinkInOneCall()
    {
        using var counting = new CountingStack();
        Assert.True(counting.Send(Segment(100), 8).Ok);
        Assert.Equal([8], counting.Link.Batches);
    }

    [Fact]
    public void ALargeDatagramIsFragmentedIntoViewsOfTheOriginal()
    {
        var segment = Segment(4000); // 4008 bytes of transport: 1480 + 1480 + 1048
        Assert.Equal(TcpipError.None, _h.Stack.FindRoute(Peer, out var route));
        var packet = PacketBuffer.Rent(route!.MaxHeaderLength, segment);
        var original = packet.Views[0].Chunk;
        var result = route.WritePackets([packet], new NetworkHeaderParams(17));
        packet.Release();
        Assert.Equal(new WriteResult(1, TcpipError.None), result);

        var frames = new List<PacketBuffer>();
        while (_h.Link.TryReadOutbound() is { } f)
        {
            frames.Add(f);
        }
        Assert.Equal(3, frames.Count);
        // No data copy: every fragment's data is a view of the original chunk.
        Assert.All(frames, f => Assert.Contains(f.Views.ToArray(), v => v.Chunk == original));
        var bytes = frames.Select(f => f.ToArray()).ToList();
        frames.ForEach(f => f.Release());

        var decoded = bytes.Select(TestPackets.Decode).ToList();
        Assert.All(decoded, d => Assert.True(d.ValidIPChecksum));
        Assert.All(decoded, d => Assert.True(d.TotalLength <= 1500));
        Assert.Single(decoded.Select(d => d.Id).Distinct());
        Assert.Equal([0, 185, 370], decoded.Select(d => d.FragmentOffset));
        Assert.Equal([1, 1, 0], decoded.Select(d => (d.FragmentFlags & 1)));
        Assert.Equal([1500, 1500, 1068], decoded.Select(d => d.TotalLength));
        Assert.Equal(segment, bytes.SelectMany(b => b[20..]).ToArray());
        Assert.Equal(3, _h.Ip.Stats.FragmentsSent.Value);

        // And our own reassembler puts them back together.
        using var receiver = new Ipv4Harness(address: "10.0.0.1/24");
        var ep = receiver.Listen(7);
        foreach (var b in bytes)
        {
            receiver.Inject(b);
        }
        Assert.Equal(segment, Assert.Single(ep.Packets).Data);
    }

    [Fact]
    public void TheSmallestMtuStillFragments()
    {
        using var h = new Ipv4Harness(mtu: 68);
        Assert.True(h.Send(Peer, Segment(192)).Ok); // 200 bytes: 48 * 4 + 8
        var frames = h.ReadAll();
        Assert.Equal(5, frames.Count);
        Assert.All(frames, f => Assert.True(f.Length <= 68));
        Assert.Equal(Segment(192), frames.SelectMany(f => f[20..]).ToArray());
    }

    [Fact]
    public void DontFragmentAboveTheMtuIsMessageTooLong()
    {
        var result = _h.Send(Peer, Segment(1473), new NetworkHeaderParams(17, DontFragment: true));
        Assert.Equal(new WriteResult(0, TcpipError.MessageTooLong), result);
        Assert.Null(_h.Read());
        Assert.Equal(1, _h.Ip.Stats.SendTooBig.Value);
        Assert.True(_h.Send(Peer, Segment(1472), new NetworkHeaderParams(17, DontFragment: true)).Ok);
    }

    [Fact]
    public void MoreThan65535BytesIsMessageTooLong()
    {
        Assert.Equal(new WriteResult(0, TcpipError.MessageTooLong), _h.Send(Peer, new byte[65516]));
        Assert.True(_h.Send(Peer, new byte[65515]).Ok);
        Assert.Equal(45, _h.ReadAll().Count);
    }

    [Fact]
    public void AMixedBatchIsOneLinkCallWithTheFragmentsInPlace()
    {
        using var counting = new CountingStack();
        Assert.Equal(TcpipError.None, counting.Stack.FindRoute(Peer, out var route));
        var packets = new[]
        {
            PacketBuffer.Rent(route!.MaxHeaderLength, Segment(100)),
            PacketBuffer.Rent(route.MaxHeaderLength, Segment(3000)),
            PacketBuffer.Rent(route.MaxHeaderLength, Segment(200)),
        };
        var result = route.WritePackets(packets, new NetworkHeaderParams(17));
        foreach (var p in packets)
        {
            p.Release();
        }
        Assert.Equal(new WriteResult(3, TcpipError.None), result);
        Assert.Equal([5], counting.Link.Batches);
        var sizes = counting.Link.Inner.DrainToArrays().Select(f => f.Length).ToList();
        Assert.Equal([128, 1500, 1500, 68, 228], sizes);
    }

    [Fact]
    public void ABatchStopsAtTheFirstPacketThatMayNotBeFragmented()
    {
        using var counting = new CountingStack();
        Assert.Equal(TcpipError.None, counting.Stack.FindRoute(Peer, out var route));
        var packets = new[]
        {
            PacketBuffer.Rent(route!.MaxHeaderLength, Segment(100)),
            PacketBuffer.Rent(route.MaxHeaderLength, Segment(3000)),
            PacketBuffer.Rent(route.MaxHeaderLength, Segment(200)),
        };
        var result = route.WritePackets(packets, new NetworkHeaderParams(17, DontFragment: true));
        foreach (var p in packets)
        {
            p.Release();
        }
        Assert.Equal(new WriteResult(1, TcpipError.MessageTooLong), result);
        Assert.Equal([1], counting.Link.Batches);
    }

    [Fact]
    public void APartialChecksumIsCompletedBeforeFragmenting()
    {
        var segment = Segment(3000);
        ushort pseudo = Checksum.PseudoHeaderSum(Us, Peer, 17, segment.Length);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(6), pseudo);
        Assert.Equal(TcpipError.None, _h.Stack.FindRoute(Peer, out var route));
        var packet = PacketBuffer.Rent(route!.MaxHeaderLength + 8, segment.AsSpan(8));
        segment.AsSpan(0, 8).CopyTo(packet.PushHeader(HeaderKind.Transport, 8));
        packet.Gso = new GsoOptions { NeedsChecksum = true, ChecksumOffset = 6 };
        Assert.True(route.WritePackets([packet], new NetworkHeaderParams(17)).Ok);
        packet.Release();

        var frames = _h.ReadAll();
        Assert.Equal(3, frames.Count);
        var whole = TestPackets.Ipv4(Us, Peer, 17, frames.SelectMany(f => f[20..]).ToArray());
        var udp = TestPackets.Decode(whole).Extract<PacketDotNet.UdpPacket>();
        Assert.True(udp.ValidUdpChecksum);
    }

    [Fact]
    public void APathMtuLearnedFromIcmpShrinksFragmentsUntilItExpires()
    {
        Assert.Equal(1500, _h.Ip.PathMtu(_h.Nic, Peer));
        _h.Inject(FragmentationNeeded(1280));
        Assert.Equal(1280, _h.Ip.PathMtu(_h.Nic, Peer));
        Assert.True(_h.Send(Peer, Segment(2000)).Ok);
        Assert.All(_h.ReadAll(), f => Assert.True(f.Length <= 1280));
        _h.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1500, _h.Ip.PathMtu(_h.Nic, Peer));
        Assert.Equal(0, _h.Ip.PathMtuEntries);
    }

    [Fact]
    public void TheLocalRouteLoopsBackThroughTheStack()
    {
        var ep = _h.Listen(7);
        Assert.Equal(TcpipError.None, _h.Stack.FindRoute(Us, out var route));
        Assert.True(route!.IsLocal);
        Assert.True(_h.Send(Us, Segment(5000)).Ok); // no fragmentation on loopback
        Assert.True(SpinWait.SpinUntil(() => ep.Packets.Count == 1, TimeSpan.FromSeconds(5)));
        var got = ep.Packets[0];
        Assert.Equal(Segment(5000), got.Data);
        Assert.Equal(Us, got.Source);
        Assert.Null(_h.Read());
    }

    [Fact]
    public void AGatewayRouteSendsToTheGatewaysLinkAddress()
    {
        using var h = new Ipv4Harness(ethernet: true);
        h.Stack.AddRoute(RouteEntry.Default(Peer, 1));
        h.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!.AddStatic(Peer, PeerMac);
        Assert.True(h.Send(Far, Segment(10)).Ok);
        var frame = h.Read()!;
        Assert.Equal(PeerMac, LinkAddress.FromBytes(frame));
        Assert.Equal(OurMac, LinkAddress.FromBytes(frame.AsSpan(6)));
        var ip = TestPackets.Decode(frame[14..]);
        Assert.Equal(Far.ToIPAddress(), ip.DestinationAddress);
        Assert.Equal(Us.ToIPAddress(), ip.SourceAddress);
    }

    [Fact]
    public void SourceSelectionPrefersTheDestinationsSubnet()
    {
        _h.Stack.AddAddress(1, AddressWithPrefix.Parse("172.16.0.9/16"));
        Assert.Equal(Address.Parse("172.16.0.9"), _h.Ip.SelectSourceAddress(_h.Nic, Address.Parse("172.16.5.5")));
        Assert.Equal(Us, _h.Ip.SelectSourceAddress(_h.Nic, Address.Parse("10.0.0.77")));
        Assert.Equal(Us, _h.Ip.SelectSourceAddress(_h.Nic, Far));
        using var bare = new Ipv4Harness();
        bare.Stack.RemoveAddress(1, Us);
        Assert.True(bare.Ip.SelectSourceAddress(bare.Nic, Peer).IsEmpty);
    }

    // An ICMP fragmentation-needed from a router on the path, quoting a datagram we sent to Peer.
    private static byte[] FragmentationNeeded(int mtu)
    {
        var quoted = TestPackets.Ipv4(Us, Peer, 17, TestPackets.UdpSegment(5000, 7, new byte[1472]), flagsAndOffset: Ipv4Header.DontFragmentFlag)[..28];
        return TestPackets.Ipv4(Address.Parse("10.0.0.254"), Us, 1,
            TestPackets.IcmpMessage(Icmpv4Type.DestinationUnreachable, Icmpv4Code.FragmentationNeeded, (uint)mtu, quoted));
    }

    /// <summary>A stack whose link records the size of each WritePackets batch.</summary>
    private sealed class CountingStack : IDisposable
    {
        public CountingStack()
        {
            Link = new CountingEndpoint(new Netstack.Link.Channel.ChannelEndpoint(1500));
            Stack = new NetworkStack(new StackOptions { NetworkProtocols = [s => new Ipv4Protocol(s)], TransportProtocols = [] });
            Stack.CreateNic(1, Link);
            Stack.AddAddress(1, AddressWithPrefix.Parse("10.0.0.2/24"));
        }

        public CountingEndpoint Link { get; }

        public NetworkStack Stack { get; }

        public WriteResult Send(byte[] segment, int count)
        {
            Assert.Equal(TcpipError.None, Stack.FindRoute(Peer, out var route));
            var packets = Enumerable.Range(0, count).Select(_ => PacketBuffer.Rent(route!.MaxHeaderLength, segment)).ToArray();
            var r = route!.WritePackets(packets, new NetworkHeaderParams(17));
            foreach (var p in packets)
            {
                p.Release();
            }
            return r;
        }

        public void Dispose()
        {
            Stack.Dispose();
            Link.Inner.Dispose();
        }
    }
}
