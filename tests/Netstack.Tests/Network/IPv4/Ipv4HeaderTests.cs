using System.Buffers.Binary;
using Netstack.Headers;

namespace Netstack.Tests.Network.IPv4;

public sealed class Ipv4HeaderTests
{
    private static readonly Address A = Address.Parse("10.1.2.3");
    private static readonly Address B = Address.Parse("192.168.9.8");

    [Fact]
    public void EncodeWritesEveryFieldAndAValidChecksum()
    {
        var bytes = new byte[40];
        Ipv4Header.Encode(bytes, new Ipv4Fields
        {
            Tos = 0x10, TotalLength = 40, Identification = 0xBEEF, FlagsAndOffset = Ipv4Header.DontFragmentFlag,
            Ttl = 33, Protocol = 17, Source = A, Destination = B,
        });
        Assert.Equal(Ipv4ParseStatus.Ok, Ipv4Header.Parse(bytes, 40, out var h));
        Assert.Equal(4, h.Version);
        Assert.Equal(20, h.HeaderLength);
        Assert.Equal(0x10, h.Tos);
        Assert.Equal(40, h.TotalLength);
        Assert.Equal(0xBEEF, h.Identification);
        Assert.True(h.DontFragment);
        Assert.False(h.MoreFragments);
        Assert.False(h.IsFragment);
        Assert.Equal(33, h.Ttl);
        Assert.Equal(17, h.Protocol);
        Assert.Equal(A, h.Source);
        Assert.Equal(B, h.Destination);
        Assert.True(h.IsChecksumValid);
        Assert.Equal(0, TestPackets.ReferenceChecksum(bytes.AsSpan(0, 20))); // a valid header sums to all ones

        var decoded = TestPackets.Decode(bytes);
        Assert.True(decoded.ValidIPChecksum);
        Assert.Equal(A.ToIPAddress(), decoded.SourceAddress);
        Assert.Equal(0xBEEF, decoded.Id);
    }

    [Fact]
    public void FragmentFieldsReadInBytes()
    {
        var p = TestPackets.Ipv4(A, B, 17, new byte[8], flagsAndOffset: Ipv4Header.MoreFragmentsFlag | 185);
        Assert.True(Ipv4Header.TryParse(p, out var h));
        Assert.True(h.MoreFragments);
        Assert.True(h.IsFragment);
        Assert.Equal(185 * 8, h.FragmentOffset);
    }

    public static TheoryData<string, byte[], int, Ipv4ParseStatus> Malformed()
    {
        var ok = TestPackets.Ipv4(A, B, 17, new byte[12]);
        byte[] With(Action<byte[]> change)
        {
            var c = (byte[])ok.Clone();
            change(c);
            return c;
        }
        return new TheoryData<string, byte[], int, Ipv4ParseStatus>
        {
            { "19 bytes", ok[..19], 19, Ipv4ParseStatus.Truncated },
            { "version 6", With(b => b[0] = 0x65), 32, Ipv4ParseStatus.BadVersion },
            { "version 0", With(b => b[0] = 0x05), 32, Ipv4ParseStatus.BadVersion },
            { "IHL 4", With(b => b[0] = 0x44), 32, Ipv4ParseStatus.BadHeaderLength },
            { "IHL 0", With(b => b[0] = 0x40), 32, Ipv4ParseStatus.BadHeaderLength },
            { "IHL beyond total length", With(b => { b[0] = 0x4F; BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 32); }), 32, Ipv4ParseStatus.BadHeaderLength },
            { "total length 0", With(b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 0)), 32, Ipv4ParseStatus.BadHeaderLength },
            { "total length beyond packet", With(b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 33)), 32, Ipv4ParseStatus.BadTotalLength },
            { "total length 65535", With(b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 65535)), 32, Ipv4ParseStatus.BadTotalLength },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void ParseRefusesMalformedHeaders(string name, byte[] bytes, int packetLength, Ipv4ParseStatus expected)
    {
        Assert.True(expected == Ipv4Header.Parse(bytes, packetLength, out _), name);
    }

    [Fact]
    public void QuotedHeaderNeedsOnlyTheHeader()
    {
        var p = TestPackets.Ipv4(A, B, 17, new byte[100]);
        Assert.False(Ipv4Header.TryParse(p.AsSpan(0, 28), out _));
        Assert.True(Ipv4Header.TryParseQuoted(p.AsSpan(0, 28), out var h));
        Assert.Equal(120, h.TotalLength);
    }

    [Fact]
    public void PatchingAndUpdatingTheChecksumKeepsItValid()
    {
        var p = TestPackets.Ipv4(A, B, 17, new byte[8]);
        Assert.True(Ipv4Header.TryParse(p, out var h));
        h.SetTotalLength(1000);
        h.SetFlagsAndOffset(Ipv4Header.MoreFragmentsFlag | 3);
        Assert.False(h.IsChecksumValid);
        h.UpdateChecksum();
        Assert.True(h.IsChecksumValid);
        Assert.Equal(1000, h.TotalLength);
        Assert.Equal(24, h.FragmentOffset);
    }

    [Fact]
    public void OptionReaderWalksNopsAndStopsAtEndOfList()
    {
        byte[] options = [1, 1, 7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 0, 0xFF, 0xFF];
        var reader = new Ipv4OptionReader(options);
        Assert.Equal(Ipv4OptionStatus.Option, reader.Next(out byte t, out var o));
        Assert.Equal(Ipv4OptionType.RecordRoute, t);
        Assert.Equal(7, o.Length);
        Assert.Equal(Ipv4OptionStatus.Option, reader.Next(out t, out o));
        Assert.Equal(Ipv4OptionType.RouterAlert, t);
        Assert.Equal(Ipv4OptionStatus.End, reader.Next(out _, out _)); // EOL: the 0xFF bytes after it are padding
        Assert.Equal(Ipv4OptionStatus.End, reader.Next(out _, out _));
    }

    [Theory]
    [InlineData(new byte[] { 7 }, 0)]                   // type without a length byte
    [InlineData(new byte[] { 1, 1, 1, 130 }, 3)]        // same at the very end
    [InlineData(new byte[] { 130, 0, 0, 0 }, 1)]        // length 0 would loop forever
    [InlineData(new byte[] { 130, 1, 0, 0 }, 1)]        // length 1 cannot hold itself
    [InlineData(new byte[] { 130, 5, 0, 0 }, 1)]        // past the header
    [InlineData(new byte[] { 7, 2, 0, 0 }, 1)]          // record route without a pointer
    [InlineData(new byte[] { 7, 3, 3, 0 }, 2)]          // record route pointer below 4
    [InlineData(new byte[] { 68, 4, 4, 0 }, 2)]         // timestamp pointer below 5
    [InlineData(new byte[] { 148, 3, 0, 1 }, 1)]        // router alert is 4 bytes
    public void OptionReaderRejectsMalformedOptions(byte[] options, int errorOffset)
    {
        var reader = new Ipv4OptionReader(options);
        Ipv4OptionStatus s;
        do
        {
            s = reader.Next(out _, out _);
        }
        while (s == Ipv4OptionStatus.Option);
        Assert.Equal(Ipv4OptionStatus.Malformed, s);
        Assert.Equal(errorOffset, reader.ErrorOffset);
        Assert.Equal(Ipv4OptionStatus.End, reader.Next(out _, out _));
    }

    [Fact]
    public void OptionReaderNeverReadsOutsideArbitraryBytes()
    {
        var random = new Random(1);
        var bytes = new byte[40];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(bytes);
            var reader = new Ipv4OptionReader(bytes.AsSpan(0, random.Next(41)));
            int steps = 0;
            while (reader.Next(out _, out var o) == Ipv4OptionStatus.Option)
            {
                Assert.True(o.Length >= 2);
                Assert.True(++steps <= 20);
            }
        }
    }

    [Fact]
    public void IcmpHeaderRoundTrips()
    {
        var b = new byte[8];
        Icmpv4Header.Encode(b, Icmpv4Type.DestinationUnreachable, Icmpv4Code.FragmentationNeeded, 1280);
        Assert.True(Icmpv4Header.TryParse(b, out var h));
        Assert.Equal(3, h.Type);
        Assert.Equal(4, h.Code);
        Assert.Equal(1280, h.NextHopMtu);
        h.SetChecksum(0x1234);
        Assert.Equal(0x1234, h.Checksum);
        Icmpv4Header.Encode(b, Icmpv4Type.Echo, 0, 0x00070009);
        Assert.Equal(7, h.Identifier);
        Assert.Equal(9, h.Sequence);
        Assert.False(Icmpv4Header.TryParse(b.AsSpan(0, 7), out _));
    }

    [Fact]
    public void ArpPacketRoundTripsAndDecodesWithPacketDotNet()
    {
        var mac = LinkAddress.Parse("02:11:22:33:44:55");
        var b = new byte[28];
        ArpPacket.Encode(b, ArpPacket.OpReply, mac, A, LinkAddress.Broadcast, B);
        Assert.True(ArpPacket.TryParse(b, out var arp));
        Assert.True(arp.IsEthernetIPv4);
        Assert.Equal(ArpPacket.OpReply, arp.Opcode);
        Assert.Equal(mac, arp.SenderHardwareAddress);
        Assert.Equal(A, arp.SenderProtocolAddress);
        Assert.Equal(LinkAddress.Broadcast, arp.TargetHardwareAddress);
        Assert.Equal(B, arp.TargetProtocolAddress);
        Assert.Equal(TestPackets.Arp(2, mac, A, LinkAddress.Broadcast, B), b);
        Assert.False(ArpPacket.TryParse(b.AsSpan(0, 27), out _));

        var frame = TestPackets.Ethernet(LinkAddress.Broadcast, mac, 0x0806, b);
        var decoded = PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Ethernet, frame).Extract<PacketDotNet.ArpPacket>();
        Assert.Equal(PacketDotNet.ArpOperation.Response, decoded.Operation);
        Assert.Equal(B.ToIPAddress(), decoded.TargetProtocolAddress);
    }
}
