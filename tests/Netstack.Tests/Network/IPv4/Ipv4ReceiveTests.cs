using System.Buffers.Binary;
using Netstack.Headers;
using Netstack.Stack;
using static Netstack.Tests.Network.IPv4.Ipv4Harness;

namespace Netstack.Tests.Network.IPv4;

public sealed class Ipv4ReceiveTests : IDisposable
{
    private readonly Ipv4Harness _h = new();
    private readonly RecordingEndpoint _ep;

    public Ipv4ReceiveTests() => _ep = _h.Listen(7);

    public void Dispose() => _h.Dispose();

    private static byte[] Datagram(Address? dst = null, Address? src = null, byte[]? options = null, byte proto = 17) =>
        TestPackets.Ipv4(src ?? Peer, dst ?? Us, proto, TestPackets.UdpSegment(5000, 7, TestPackets.Pattern(32)), options: options);

    [Fact]
    public void AValidDatagramReachesTheEndpointWithAddressesAndData()
    {
        _h.Inject(Datagram());
        var got = Assert.Single(_ep.Packets);
        Assert.Equal(new TransportEndpointId(7, Us, 5000, Peer), got.Id);
        Assert.Equal(Peer, got.Source);
        Assert.Equal(Us, got.Destination);
        Assert.Equal(TestPackets.UdpSegment(5000, 7, TestPackets.Pattern(32)), got.Data);
        Assert.Equal(20, got.NetworkHeader.Length);
        Assert.Equal(1, _h.Ip.Stats.PacketsDelivered.Value);
        Assert.Equal(0, _h.Ip.Stats.Sum("drop_"));
    }

    [Fact]
    public void LinkPaddingIsTrimmed()
    {
        var padded = Datagram().Concat(new byte[] { 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF }).ToArray();
        _h.Inject(padded);
        Assert.Equal(TestPackets.UdpSegment(5000, 7, TestPackets.Pattern(32)), Assert.Single(_ep.Packets).Data);
    }

    public static TheoryData<string, byte[], string> MalformedPackets()
    {
        byte[] With(Action<byte[]> change, bool fixChecksum = true)
        {
            var b = Datagram();
            change(b);
            if (fixChecksum)
            {
                TestPackets.FixChecksum(b);
            }
            return b;
        }
        return new TheoryData<string, byte[], string>
        {
            { "empty", [], "drop_truncated" },
            { "19 bytes", Datagram()[..19], "drop_truncated" },
            { "version 6 in an IPv4 frame", With(b => b[0] = 0x65, false), "drop_bad_version" },
            { "version 5", With(b => b[0] = 0x55, false), "drop_bad_version" },
            { "IHL 4", With(b => b[0] = 0x44, false), "drop_bad_header_length" },
            { "IHL 15 beyond total length", With(b => { b[0] = 0x4F; BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 40); }, false), "drop_bad_header_length" },
            { "total length below header", With(b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 19)), "drop_bad_header_length" },
            { "total length beyond received", With(b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 61)), "drop_bad_total_length" },
            { "bad checksum", With(b => b[10] ^= 0x01, false), "drop_bad_checksum" },
            { "checksum right but a field changed", With(b => b[8]--, false), "drop_bad_checksum" },
            { "multicast source", Datagram(src: Address.Parse("224.0.0.5")), "drop_bad_source" },
            { "limited broadcast source", Datagram(src: Address.BroadcastV4), "drop_bad_source" },
            { "directed broadcast source", Datagram(src: Address.Parse("10.0.0.255")), "drop_bad_source" },
            { "loopback source", Datagram(src: Address.Parse("127.0.0.1")), "drop_bad_source" },
            { "another host", Datagram(dst: Address.Parse("10.0.0.3")), "drop_not_for_us" },
            { "unspecified destination", Datagram(dst: Address.AnyV4), "drop_not_for_us" },
            { "unjoined group", Datagram(dst: Address.Parse("239.1.2.3")), "drop_not_for_us" },
            { "another subnet's broadcast", Datagram(dst: Address.Parse("10.0.1.255")), "drop_not_for_us" },
            { "option length 0", Datagram(options: [130, 0, 0, 0]), "drop_bad_options" },
            { "option past header", Datagram(options: [1, 1, 130, 3]), "drop_bad_options" },
            { "record route bad pointer", Datagram(options: [7, 3, 1, 0]), "drop_bad_options" },
            { "loose source route", Datagram(options: [131, 7, 4, 1, 2, 3, 4, 0]), "drop_source_route" },
            { "strict source route", Datagram(options: [137, 7, 4, 1, 2, 3, 4, 0]), "drop_source_route" },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedPackets))]
    public void MalformedPacketsAreDroppedAndCountedByReason(string name, byte[] packet, string counter)
    {
        // Injected as IPv4 regardless of its version nibble: the link said it was IPv4.
        var pkt = Netstack.Buffers.PacketBuffer.Rent(0, packet);
        _h.Nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, pkt);
        pkt.Release();
        Assert.Empty(_ep.Packets);
        Assert.True(1 == _h.Ip.Stats.Counters.Single(c => c.Name == counter).Value, $"{name}: {_h.Ip.Stats}");
        Assert.True(1 == _h.Ip.Stats.Sum("drop_"), $"{name}: {_h.Ip.Stats}");
        Assert.Equal(0, _h.Stack.Stats.HandlerFaults.Value);
        Assert.Equal(0, _h.Nic.Stats.DroppedHandlerFault.Value);
    }

    [Fact]
    public void MalformedOptionsAreAnsweredWithAParameterProblemPointingAtTheByte()
    {
        _h.Inject(Datagram(options: [1, 1, 130, 9]));
        var reply = TestPackets.Decode(_h.ReadIp()!);
        var icmp = reply.Extract<PacketDotNet.IcmpV4Packet>();
        Assert.Equal(12, (int)icmp.TypeCode >> 8);
        Assert.Equal(23, icmp.Bytes[4]); // 20 + offset 3 of the length byte
    }

    [Theory]
    [InlineData(new byte[] { 1, 1, 1, 0 })]                          // NOPs then end of list
    [InlineData(new byte[] { 0, 55, 66, 77 })]                       // end of list, then anything
    [InlineData(new byte[] { 7, 7, 4, 0, 0, 0, 0, 1 })]              // record route (not recorded, skipped)
    [InlineData(new byte[] { 68, 8, 5, 0, 0, 0, 0, 0 })]             // timestamp
    [InlineData(new byte[] { 148, 4, 0, 0 })]                        // router alert
    [InlineData(new byte[] { 25, 2, 222, 2, 1, 0, 0, 0 })]           // unknown options are skipped (RFC 1122 3.2.1.8)
    public void WellFormedOptionsAreSkipped(byte[] options)
    {
        _h.Inject(Datagram(options: options));
        var got = Assert.Single(_ep.Packets);
        Assert.Equal(20 + options.Length, got.NetworkHeader.Length);
        Assert.Equal(TestPackets.UdpSegment(5000, 7, TestPackets.Pattern(32)), got.Data);
    }

    [Theory]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.255")]
    [InlineData("224.0.0.1")]
    public void BroadcastsAndAllSystemsAreAccepted(string destination)
    {
        _h.Inject(Datagram(dst: Address.Parse(destination)));
        Assert.Single(_ep.Packets);
    }

    [Fact]
    public void AJoinedGroupIsAcceptedUntilLeft()
    {
        var group = Address.Parse("239.1.2.3");
        _h.Nic.JoinGroup(group);
        _h.Inject(Datagram(dst: group));
        Assert.Single(_ep.Packets);
        _h.Nic.LeaveGroup(group);
        _h.Inject(Datagram(dst: group));
        Assert.Single(_ep.Packets);
        Assert.Equal(1, _h.Ip.Stats.DroppedNotForUs.Value);
    }

    [Fact]
    public void FramesForAnotherHostAreDropped()
    {
        var pkt = Netstack.Buffers.PacketBuffer.Rent(0, Datagram());
        pkt.PacketType = Netstack.PacketType.OtherHost;
        _h.Nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, pkt);
        pkt.Release();
        Assert.Empty(_ep.Packets);
        Assert.Equal(1, _h.Ip.Stats.DroppedOtherHost.Value);
    }

    [Fact]
    public void AnUnknownProtocolIsAnsweredWithProtocolUnreachable()
    {
        var sent = Datagram(proto: 99);
        _h.Inject(sent);
        var reply = _h.ReadIp()!;
        var ip = TestPackets.Decode(reply);
        Assert.Equal(Us.ToIPAddress(), ip.SourceAddress);
        Assert.Equal(Peer.ToIPAddress(), ip.DestinationAddress);
        var icmp = ip.Extract<PacketDotNet.IcmpV4Packet>();
        Assert.Equal(PacketDotNet.IcmpV4TypeCode.UnreachableProtocol, icmp.TypeCode);
        Assert.True(icmp.ValidIcmpChecksum);
        Assert.Equal(sent, reply[28..]); // the whole (small) datagram is quoted
        Assert.Equal(1, _h.Ip.Stats.UnknownProtocol.Value);
    }

    [Fact]
    public void ANoListenerPortIsAnsweredWithPortUnreachable()
    {
        var sent = TestPackets.Ipv4(Peer, Us, 17, TestPackets.UdpSegment(5000, 9, TestPackets.Pattern(10)));
        _h.Inject(sent);
        var reply = _h.ReadIp()!;
        var icmp = TestPackets.Decode(reply).Extract<PacketDotNet.IcmpV4Packet>();
        Assert.Equal(PacketDotNet.IcmpV4TypeCode.UnreachablePort, icmp.TypeCode);
        Assert.Equal(sent, reply[28..]);
    }

    [Fact]
    public void RandomBytesNeverEscapeTheReceivePath()
    {
        var random = new Random(7);
        var valid = Datagram(options: [7, 7, 4, 0, 0, 0, 0, 1]);
        for (int i = 0; i < 20000; i++)
        {
            byte[] p;
            if (i % 2 == 0)
            {
                p = new byte[random.Next(0, 100)];
                random.NextBytes(p);
                if (p.Length > 0)
                {
                    p[0] = (byte)(0x40 | (p[0] & 0x0F));
                }
            }
            else
            {
                // A valid datagram with a few bytes flipped, checksum repaired half the time.
                p = (byte[])valid.Clone();
                for (int k = 0; k < 3; k++)
                {
                    p[random.Next(p.Length)] = (byte)random.Next(256);
                }
                if (random.Next(2) == 0 && (p[0] & 0xF) * 4 <= p.Length && (p[0] & 0xF) >= 5)
                {
                    TestPackets.FixChecksum(p);
                }
            }
            var pkt = Netstack.Buffers.PacketBuffer.Rent(0, p);
            _h.Nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, pkt);
            pkt.Release();
            _h.Link.DrainOutbound();
        }
        Assert.Equal(0, _h.Stack.Stats.HandlerFaults.Value);
        Assert.Equal(0, _h.Nic.Stats.DroppedHandlerFault.Value);
        Assert.Equal(20000, _h.Ip.Stats.PacketsReceived.Value);
    }

    [Fact]
    public void APacketSpreadOverManySmallViewsIsParsed()
    {
        var bytes = Datagram(options: [1, 1, 1, 0]);
        var pkt = Netstack.Buffers.PacketBuffer.Rent(0, bytes[..3]);
        for (int i = 3; i < bytes.Length; i += 5)
        {
            pkt.AppendCopy(bytes.AsSpan(i, Math.Min(5, bytes.Length - i)));
        }
        _h.Nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, pkt);
        pkt.Release();
        Assert.Equal(TestPackets.UdpSegment(5000, 7, TestPackets.Pattern(32)), Assert.Single(_ep.Packets).Data);
    }
}
