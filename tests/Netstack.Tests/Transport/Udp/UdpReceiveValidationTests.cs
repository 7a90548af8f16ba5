using Netstack.Buffers;
using Netstack.Stack;
using Netstack.Transport.Udp;

namespace Netstack.Tests.Transport.Udp;

public class UdpReceiveValidationTests
{
    private static readonly byte[] Payload = "hello, udp"u8.ToArray();

    public static TheoryData<bool> Families => new() { false, true };

    private static (Address Local, Address Peer) Addresses(bool v6) =>
        v6 ? (UdpTestHost.V6Local, UdpTestHost.V6Peer) : (UdpTestHost.V4Local, UdpTestHost.V4Peer);

    private static UdpEndpoint Bound(UdpTestHost host, bool v6, ushort port = 5000)
    {
        var ep = v6 ? host.V6Endpoint() : host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, port)));
        return ep;
    }

    private static byte[] ReadPayload(UdpEndpoint ep, out UdpReadResult result)
    {
        var buffer = new byte[2048];
        Assert.Equal(TcpipError.None, ep.Read(buffer, out result));
        return buffer[..result.BytesCopied];
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void ValidDatagramIsQueuedWithItsSenderAndDestination(bool v6)
    {
        using var host = new UdpTestHost();
        using var ep = Bound(host, v6);
        var (local, peer) = Addresses(v6);
        host.Inject(UdpPackets.For(peer, local, 4321, 5000, Payload));
        Assert.Equal(Payload.Length, ep.NextDatagramSize);
        Assert.Equal(Payload, ReadPayload(ep, out var r));
        Assert.Equal(new FullAddress(peer, 4321), r.Info.Remote);
        Assert.Equal(local, r.Info.LocalAddress);
        Assert.Equal(1, r.Info.NicId);
        Assert.False(r.Truncated);
        Assert.Equal(1, host.Stats.DatagramsReceived.Value);
        Assert.Equal(TcpipError.WouldBlock, ep.Read(new byte[16], out _));
    }

    [Fact]
    public void ZeroChecksumIsAcceptedOnIPv4()
    {
        using var host = new UdpTestHost();
        using var ep = Bound(host, false);
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 1, 5000, Payload, checksum: 0));
        Assert.Equal(Payload, ReadPayload(ep, out _));
    }

    [Fact]
    public void ZeroChecksumIsDroppedOnIPv6()
    {
        using var host = new UdpTestHost();
        using var ep = Bound(host, true);
        host.Inject(UdpPackets.V6(UdpTestHost.V6Peer, UdpTestHost.V6Local, 1, 5000, Payload, checksum: 0));
        Assert.Equal(TcpipError.WouldBlock, ep.Read(new byte[64], out _));
        Assert.Equal(1, host.Stats.DroppedZeroChecksumIPv6.Value);
        Assert.Equal(0, host.Stats.DatagramsReceived.Value);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void BadChecksumIsDropped(bool v6)
    {
        using var host = new UdpTestHost();
        using var ep = Bound(host, v6);
        var (local, peer) = Addresses(v6);
        var packet = UdpPackets.For(peer, local, 1, 5000, Payload);
        packet[^1] ^= 0x40;
        host.Inject(packet);
        Assert.Equal(TcpipError.WouldBlock, ep.Read(new byte[64], out _));
        Assert.Equal(1, host.Stats.DroppedBadChecksum.Value);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void ChecksumIsSkippedWhenTheLinkValidatedIt(bool v6)
    {
        using var host = new UdpTestHost();
        using var ep = Bound(host, v6);
        var (local, peer) = Addresses(v6);
        var bytes = UdpPackets.For(peer, local, 1, 5000, Payload, checksum: 0x1234);
        var packet = PacketBuffer.Rent(0, bytes);
        packet.RxChecksumValidated = true;
        Assert.True(host.Link.InjectFrame(packet));
        packet.Release();
        Assert.Equal(Payload, ReadPayload(ep, out _));
    }

    [Theory]
    [InlineData(false, 7)]
    [InlineData(false, 0)]
    [InlineData(true, 7)]
    [InlineData(false, 19)]
    [InlineData(true, 19)]
    public void LengthFieldOutsideTheDatagramIsDropped(bool v6, int lengthField)
    {
        using var host = new UdpTestHost();
        using var ep = Bound(host, v6);
        var (local, peer) = Addresses(v6);
        // 10 payload bytes: 18 in all, so 19 claims more than arrived and 7 less than a header.
        host.Inject(UdpPackets.For(peer, local, 1, 5000, Payload, lengthField: lengthField));
        Assert.Equal(TcpipError.WouldBlock, ep.Read(new byte[64], out _));
        Assert.Equal(1, host.Stats.DroppedBadLength.Value);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void BytesBeyondTheLengthFieldAreTrimmed(bool v6)
    {
        using var host = new UdpTestHost();
        using var ep = Bound(host, v6);
        var (local, peer) = Addresses(v6);
        host.Inject(UdpPackets.For(peer, local, 1, 5000, Payload, padding: 6));
        Assert.Equal(Payload, ReadPayload(ep, out var r));
        Assert.Equal(Payload.Length, r.DatagramLength);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void TruncatedHeaderIsDropped(bool v6)
    {
        using var host = new UdpTestHost();
        using var ep = Bound(host, v6);
        var (local, peer) = Addresses(v6);
        var full = UdpPackets.For(peer, local, 1, 5000, []);
        int ipHeader = v6 ? 40 : 20;
        var cut = full[..(ipHeader + 5)];
        // Fix the IP length fields so only the UDP layer sees the damage.
        if (v6)
        {
            cut[5] = 5;
        }
        else
        {
            cut[3] = (byte)cut.Length;
        }
        host.Inject(cut);
        Assert.Equal(1, host.Stats.DroppedTruncatedHeader.Value);
        Assert.Equal(1, host.Stack.Stats.DroppedMalformedTransportHeader.Value);
        Assert.True(host.IPv4.IcmpErrors.IsEmpty && host.IPv6.IcmpErrors.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void DatagramSplitAcrossOddViewsVerifies(bool v6)
    {
        using var host = new UdpTestHost();
        using var ep = Bound(host, v6);
        var (local, peer) = Addresses(v6);
        var payload = Enumerable.Range(0, 301).Select(i => (byte)(i * 7)).ToArray();
        var bytes = UdpPackets.For(peer, local, 1, 5000, payload);
        // Split after the headers at an odd offset into the payload, so the checksum crosses views oddly.
        int split = (v6 ? 40 : 20) + 8 + 101;
        var packet = PacketBuffer.Rent(0, bytes.AsSpan(0, split));
        packet.AppendCopy(bytes.AsSpan(split, 57));
        packet.AppendCopy(bytes.AsSpan(split + 57));
        Assert.True(host.Link.InjectFrame(packet));
        packet.Release();
        Assert.Equal(payload, ReadPayload(ep, out _));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void UnmatchedUnicastAsksForPortUnreachable(bool v6)
    {
        using var host = new UdpTestHost();
        var (local, peer) = Addresses(v6);
        host.Inject(UdpPackets.For(peer, local, 1, 5001, Payload));
        var ip = v6 ? host.IPv6 : host.IPv4;
        Assert.True(ip.IcmpErrors.TryDequeue(out var e));
        Assert.Equal((IcmpErrorKind.PortUnreachable, peer, local), e);
        Assert.Equal(1, host.Stats.NoPort.Value);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void UnmatchedCorruptDatagramGetsNoIcmp(bool v6)
    {
        using var host = new UdpTestHost();
        var (local, peer) = Addresses(v6);
        var packet = UdpPackets.For(peer, local, 1, 5001, Payload);
        packet[^2] ^= 1;
        host.Inject(packet);
        host.Inject(UdpPackets.For(peer, local, 1, 5001, Payload, lengthField: 40));
        Assert.True(host.IPv4.IcmpErrors.IsEmpty && host.IPv6.IcmpErrors.IsEmpty);
        Assert.Equal(1, host.Stats.DroppedBadChecksum.Value);
        Assert.Equal(1, host.Stats.DroppedBadLength.Value);
        Assert.Equal(0, host.Stats.NoPort.Value);
    }

    [Theory]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.255")]
    public void UnmatchedBroadcastGetsNoIcmp(string destination)
    {
        using var host = new UdpTestHost();
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, Address.Parse(destination), 1, 5001, Payload));
        Assert.True(host.IPv4.IcmpErrors.IsEmpty);
        Assert.Equal(1, host.Stack.Stats.DroppedNoEndpoint.Value);
    }

    [Theory]
    [InlineData("239.1.2.3")]
    [InlineData("ff05::1:3")]
    public void UnmatchedMulticastGetsNoIcmp(string group)
    {
        using var host = new UdpTestHost();
        var g = Address.Parse(group);
        host.Nic.JoinGroup(g);
        var peer = g.IsV4 ? UdpTestHost.V4Peer : UdpTestHost.V6Peer;
        host.Inject(UdpPackets.For(peer, g, 1, 5001, Payload));
        Assert.True(host.IPv4.IcmpErrors.IsEmpty && host.IPv6.IcmpErrors.IsEmpty);
    }

    [Fact]
    public void HandleUnmatchedRefusesMulticastAndBroadcastDestinations()
    {
        using var host = new UdpTestHost();
        foreach (var dst in new[] { Address.Parse("224.0.0.251"), Address.BroadcastV4, Address.Parse("10.0.0.255") })
        {
            var packet = PacketBuffer.Rent(0, UdpPackets.Datagram(UdpTestHost.V4Peer, dst, 1, 2, Payload));
            packet.SourceAddress = UdpTestHost.V4Peer;
            packet.DestinationAddress = dst;
            Assert.False(host.Udp.HandleUnmatched(host.Nic, packet, default));
            packet.Release();
        }
    }

    [Fact]
    public void TryParsePortsReadsWithoutConsuming()
    {
        using var host = new UdpTestHost();
        var packet = PacketBuffer.Rent(0, UdpPackets.Datagram(UdpTestHost.V4Peer, UdpTestHost.V4Local, 0x1234, 0xABCD, Payload));
        Assert.True(host.Udp.TryParsePorts(packet, out ushort s, out ushort d));
        Assert.Equal((0x1234, 0xABCD), (s, d));
        Assert.Equal(8 + Payload.Length, packet.DataSize);
        packet.Release();
    }
}
