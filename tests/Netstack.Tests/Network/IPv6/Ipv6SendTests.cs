using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using PacketDotNet;
using static Netstack.Tests.Network.IPv6.Ipv6TestHost;
using static Netstack.Tests.Network.IPv6.V6Packets;

namespace Netstack.Tests.Network.IPv6;

public sealed class Ipv6SendTests : IDisposable
{
    private static readonly Address Router = Address.Parse("fe80::1");
    private readonly Ipv6TestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void HeaderIsWrittenWithDefaultsAndDecodesIndependently()
    {
        var data = "payload"u8.ToArray();
        Assert.True(_host.SendUdp(Peer, data).Ok);

        var frame = Assert.Single(_host.Frames());
        var eth = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
        Assert.Equal(PeerMac.ToString().Replace(":", "").ToUpperInvariant(), eth.DestinationHardwareAddress.ToString());
        var ip = (IPv6Packet)eth.PayloadPacket;
        Assert.Equal(IPVersion.IPv6, ip.Version);
        Assert.Equal(64, ip.HopLimit);
        Assert.Equal(ProtocolType.Udp, ip.NextHeader);
        Assert.Equal(Global, Address.FromIPAddress(ip.SourceAddress));
        Assert.Equal(Peer, Address.FromIPAddress(ip.DestinationAddress));
        Assert.Equal(8 + data.Length, ip.PayloadLength);
        var udp = (UdpPacket)ip.PayloadPacket;
        Assert.True(udp.ValidUdpChecksum);
        Assert.Equal(data, udp.PayloadData);
    }

    [Fact]
    public void TheTransportsFlowHashBecomesTheFlowLabelAndTosTheTrafficClass()
    {
        Assert.Equal(TcpipError.None, _host.Stack.FindRoute(Peer, out var route));
        var packet = PacketBuffer.Rent(route!.MaxHeaderLength, Udp(Global, Peer, 1000, 2000, [1]));
        packet.Hash = 0xABC12345;
        route.WritePacket(packet, new NetworkHeaderParams(17, Tos: 0xB8));
        packet.Release();

        var ip = Assert.Single(_host.Sent());
        Assert.Equal(0x12345, ip.FlowLabel);
        Assert.Equal(0xB8, ip.TrafficClass);
    }

    [Fact]
    public void MulticastDefaultsToHopLimitOneAndAnExplicitHopLimitWins()
    {
        _host.SendUdp(Address.Parse("ff02::fb"), [1]);
        _host.SendUdp(Peer, [1], hopLimit: 9);

        var sent = _host.Sent();
        Assert.Equal(1, sent[0].HopLimit);
        Assert.Equal(Ipv6TestHost.LinkLocal, Address.FromIPAddress(sent[0].SourceAddress));
        Assert.Equal(9, sent[1].HopLimit);
    }

    [Fact]
    public void PacketAboveTheMtuIsFragmentedWithSharedIdAndAlignedOffsets()
    {
        var data = new byte[4000];
        new Random(1).NextBytes(data);
        Assert.True(_host.SendUdp(Peer, data).Ok);

        var frames = _host.Frames();
        Assert.Equal(3, frames.Count);
        uint? id = null;
        var reassembled = new byte[4008];
        int expectedOffset = 0;
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.True(frames[i].Length - 14 <= 1500);
            var ip = _host.Decode(frames[i]);
            Assert.Equal(ProtocolType.IPv6FragmentHeader, ip.NextHeader);
            var fragment = Assert.IsType<IPv6FragmentationExtensionHeader>(Assert.Single(ip.ExtensionHeaders));
            Assert.Equal(ProtocolType.Udp, fragment.NextHeader);
            Assert.Equal(expectedOffset, fragment.FragmentOffset * 8);
            Assert.Equal(i < 2, fragment.More);
            var raw = frames[i].AsSpan(14);
            uint thisId = BinaryPrimitives.ReadUInt32BigEndian(raw[44..]);
            Assert.True(id is null || id == thisId);
            id = thisId;
            var payload = raw[48..].ToArray();
            Assert.True(i == 2 || payload.Length % 8 == 0);
            payload.CopyTo(reassembled, expectedOffset);
            expectedOffset += payload.Length;
        }
        Assert.Equal(4008, expectedOffset);
        Assert.Equal(data, reassembled[8..]);
        Assert.Equal(1, _host.Ip.Stats.PacketsFragmented.Value);
        Assert.Equal(3, _host.Ip.Stats.FragmentsSent.Value);
    }

    [Fact]
    public void FragmentIdentificationsAreUnpredictable()
    {
        var ids = new HashSet<uint>();
        for (int i = 0; i < 20; i++)
        {
            _host.SendUdp(Peer, new byte[2000]);
            foreach (var f in _host.Frames())
            {
                ids.Add(BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(14 + 44)));
            }
        }
        Assert.True(ids.Count >= 19);
    }

    [Fact]
    public void OurFragmentsReassembleInAnotherStack()
    {
        using var other = new Ipv6TestHost();
        var data = new byte[9000];
        new Random(2).NextBytes(data);
        _host.SendUdp(Peer, data, destinationPort: 7);
        foreach (var frame in _host.Frames())
        {
            // Re-address to the other host's own address so it accepts them.
            var ip = frame[14..];
            Global.WriteTo(ip.AsSpan(24));
            Peer.WriteTo(ip.AsSpan(8));
            other.Receive(ip);
        }
        var (_, got) = Assert.Single(other.Udp.Packets);
        Assert.Equal(data, got[8..]);
    }

    [Fact]
    public void APartialChecksumIsCompletedBeforeFragmenting()
    {
        Assert.Equal(TcpipError.None, _host.Stack.FindRoute(Peer, out var route));
        var data = new byte[4000];
        new Random(3).NextBytes(data);
        var udp = Udp(route!.LocalAddress, Peer, 1000, 7, data);
        // Left for the link to finish (TX checksum offload): the field holds the pseudo-header sum.
        var partial = (byte[])udp.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(partial.AsSpan(6), Checksum.PseudoHeaderSum(route.LocalAddress, Peer, 17, partial.Length));
        var packet = PacketBuffer.Rent(route.MaxHeaderLength + 8, partial.AsSpan(8));
        partial.AsSpan(0, 8).CopyTo(packet.PushHeader(HeaderKind.Transport, 8));
        packet.Gso = new GsoOptions { NeedsChecksum = true, ChecksumOffset = 6 };
        Assert.True(route.WritePackets([packet], new NetworkHeaderParams(17)).Ok);
        packet.Release();

        var frames = _host.Frames();
        Assert.Equal(3, frames.Count);
        Assert.Equal(udp, frames.SelectMany(f => f[(14 + 48)..]).ToArray());
    }

    [Fact]
    public void DontFragmentAboveTheMtuFailsWithMessageTooLong()
    {
        var result = _host.SendUdp(Peer, new byte[2000], dontFragment: true);

        Assert.Equal(TcpipError.MessageTooLong, result.Error);
        Assert.Empty(_host.Frames());
        Assert.Equal(1, _host.Ip.Stats.DroppedSendTooBig.Value);
    }

    [Fact]
    public void PacketTooBigLowersThePathMtuNotBelow1280AndItExpires()
    {
        Assert.Equal(1500, _host.Ip.PathMtu(_host.Nic, Peer));
        ReceivePacketTooBig(1400);
        Assert.Equal(1400, _host.Ip.PathMtu(_host.Nic, Peer));
        Assert.Equal(1400, _host.Ip.LearnedPathMtu(Peer));

        ReceivePacketTooBig(1450); // never raised by a report
        Assert.Equal(1400, _host.Ip.PathMtu(_host.Nic, Peer));
        ReceivePacketTooBig(600); // never below the IPv6 minimum
        Assert.Equal(1280, _host.Ip.PathMtu(_host.Nic, Peer));

        _host.SendUdp(Peer, new byte[1300]);
        Assert.All(_host.Frames(), f => Assert.True(f.Length - 14 <= 1280));

        _host.Time.Advance(TimeSpan.FromMinutes(10.1));
        Assert.Equal(1500, _host.Ip.PathMtu(_host.Nic, Peer));
        Assert.Equal(0, _host.Ip.LearnedPathMtu(Peer));
    }

    [Fact]
    public void PacketTooBigReachesTheTransportWithTheNewMtu()
    {
        ReceivePacketTooBig(1300);

        var (id, error) = Assert.Single(_host.Udp.Errors);
        Assert.Equal(new TransportEndpointId(1000, Global, 2000, Peer), id);
        Assert.Equal(new TransportError(TransportErrorKind.PacketTooBig, 1300), error with { QuotedWord = -1 });
    }

    [Fact]
    public void PacketToOurOwnAddressLoopsBack()
    {
        Assert.True(_host.SendUdp(Global, "self"u8.ToArray(), destinationPort: 7).Ok);

        Assert.True(SpinWait.SpinUntil(() => _host.Udp.Packets.Count == 1, TimeSpan.FromSeconds(5)));
        Assert.Equal("self"u8.ToArray(), _host.Udp.Packets[0].Data[8..]);
        Assert.Empty(_host.Frames());
    }

    [Fact]
    public void BatchKeepsOrderAcrossFragmentedPackets()
    {
        Assert.Equal(TcpipError.None, _host.Stack.FindRoute(Peer, out var route));
        var packets = new[] { 10, 3000, 20 }.Select(n =>
        {
            var p = PacketBuffer.Rent(route!.MaxHeaderLength, Udp(Global, Peer, 1000, 2000, new byte[n]));
            return p;
        }).ToArray();
        var result = route!.WritePackets(packets, new NetworkHeaderParams(17));
        foreach (var p in packets)
        {
            p.Release();
        }

        Assert.Equal(new WriteResult(3, TcpipError.None), result);
        var sent = _host.Sent();
        Assert.Equal(5, sent.Count);
        Assert.Equal(18, sent[0].PayloadLength);
        Assert.All(sent[1..4], p => Assert.Equal(ProtocolType.IPv6FragmentHeader, p.NextHeader));
        Assert.Equal(28, sent[4].PayloadLength);
    }

    [Fact]
    public void SourceSelectionPrefersScopeThenAssignedThenLongestPrefix()
    {
        var second = Address.Parse("2001:db8::1");
        _host.Stack.AddAddress(1, new AddressWithPrefix(second, 64));
        _host.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(Ipv6TestHost.LinkLocal, _host.Ip.SelectSourceAddress(_host.Nic, Address.Parse("fe80::9")));
        Assert.Equal(Ipv6TestHost.LinkLocal, _host.Ip.SelectSourceAddress(_host.Nic, Address.Parse("ff02::1")));
        Assert.Equal(Global, _host.Ip.SelectSourceAddress(_host.Nic, Address.Parse("fd00::9")));
        Assert.Equal(second, _host.Ip.SelectSourceAddress(_host.Nic, Address.Parse("2001:db8:0:0:1::9")));
        Assert.Equal(Global, _host.Ip.SelectSourceAddress(_host.Nic, Global));

        _host.Nic.FindAddress(second)!.State = AddressState.Deprecated;
        Assert.Equal(Global, _host.Ip.SelectSourceAddress(_host.Nic, Address.Parse("2001:db8:0:0:1::9")));

        var tentative = Address.Parse("2001:db8:1::1");
        _host.Stack.AddAddress(1, new AddressWithPrefix(tentative, 64));
        Assert.NotEqual(tentative, _host.Ip.SelectSourceAddress(_host.Nic, Address.Parse("2001:db8:1::9")));
    }

    private void ReceivePacketTooBig(uint mtu)
    {
        // What we sent earlier, as a router quotes it back.
        var quoted = Ipv6(Global, Peer, 17, Udp(Global, Peer, 1000, 2000, new byte[1400]));
        var rest = new byte[4 + 1232];
        BinaryPrimitives.WriteUInt32BigEndian(rest, mtu);
        quoted.AsSpan(0, 1232).CopyTo(rest.AsSpan(4));
        _host.Receive(Ipv6(Router, Global, 58, Icmp(Router, Global, 2, 0, rest)));
    }
}
