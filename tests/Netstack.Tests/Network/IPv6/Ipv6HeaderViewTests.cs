using Netstack.Headers;
using Netstack.Network.IPv6;
using static Netstack.Tests.Network.IPv6.V6Packets;

namespace Netstack.Tests.Network.IPv6;

public sealed class Ipv6HeaderViewTests
{
    private static readonly Address A = Address.Parse("2001:db8::1");
    private static readonly Address B = Address.Parse("fe80::abcd");

    [Fact]
    public void Ipv6HeaderEncodesAndParsesEveryField()
    {
        var bytes = new byte[40];
        Ipv6Header.Encode(bytes, 1234, 17, 99, A, B, trafficClass: 0xB8, flowLabel: 0xABCDE);

        Assert.True(Ipv6Header.TryParse(bytes, out var h));
        Assert.Equal(6, h.Version);
        Assert.Equal(0xB8, h.TrafficClass);
        Assert.Equal(0xABCDE, h.FlowLabel);
        Assert.Equal(1234, h.PayloadLength);
        Assert.Equal(17, h.NextHeader);
        Assert.Equal(99, h.HopLimit);
        Assert.Equal(A, h.Source);
        Assert.Equal(B, h.Destination);
        Assert.Equal(new byte[] { 0x6B, 0x8A, 0xBC, 0xDE }, bytes[..4]);
        Assert.False(Ipv6Header.TryParse(new byte[39], out _));
    }

    [Fact]
    public void FragmentHeaderRoundTrips()
    {
        var bytes = new byte[8];
        Ipv6FragmentHeader.Encode(bytes, 17, 1448, true, 0xDEADBEEF);

        Assert.Equal(Fragment(17, 1448, true, 0xDEADBEEF), bytes);
        Assert.True(Ipv6FragmentHeader.TryParse(bytes, out var f));
        Assert.Equal(17, f.NextHeader);
        Assert.Equal(1448, f.FragmentOffset);
        Assert.True(f.MoreFragments);
        Assert.False(f.IsAtomic);
        Assert.Equal(0xDEADBEEF, f.Identification);
        Assert.False(Ipv6FragmentHeader.TryParse(new byte[7], out _));
    }

    [Fact]
    public void ExtensionHeaderChecksItsDeclaredLength()
    {
        var header = Options(17, 0x1E, 3, 1, 2, 3);
        Assert.True(Ipv6ExtensionHeader.TryParse(header, out var e));
        Assert.Equal(8, e.Length);
        Assert.Equal(17, e.NextHeader);
        Assert.False(Ipv6ExtensionHeader.TryParse(new byte[] { 17, 1, 0, 0, 0, 0, 0, 0 }, out _));
        Assert.False(Ipv6ExtensionHeader.TryParse(new byte[] { 17 }, out _));

        var padded = new byte[16];
        Ipv6ExtensionHeader.EncodePadded(padded, 6, 16);
        Assert.True(Ipv6ExtensionHeader.TryParse(padded, out var p));
        Assert.Equal(16, p.Length);
        var reader = new Ipv6OptionReader(p.Body);
        Assert.True(reader.TryRead(out var pad));
        Assert.Equal(Ipv6Option.PadN, pad.Type);
        Assert.Equal(12, pad.Data.Length);
        Assert.False(reader.TryRead(out _));
        Assert.False(reader.Malformed);
    }

    [Fact]
    public void OptionReaderWalksPad1PadNAndStopsOnOverrun()
    {
        var reader = new Ipv6OptionReader(new byte[] { 0, 1, 1, 0, 0xC2, 4, 1, 2 });
        Assert.True(reader.TryRead(out var pad1));
        Assert.Equal(0, pad1.Type);
        Assert.True(reader.TryRead(out var padN));
        Assert.Equal(1, padN.Type);
        Assert.Equal(1, padN.Offset);
        Assert.False(reader.TryRead(out _));
        Assert.True(reader.Malformed);

        Assert.Equal(Ipv6UnknownOptionAction.DiscardAndReportUnicast, new Ipv6OptionReaderProbe(0xC2).Action);
        Assert.Equal(Ipv6UnknownOptionAction.Skip, new Ipv6OptionReaderProbe(0x1E).Action);
    }

    [Fact]
    public void NdpOptionReaderRejectsZeroLengthAndOverruns()
    {
        Assert.True(NdpOptionReader.Validate([1, 1, 1, 2, 3, 4, 5, 6]));
        Assert.False(NdpOptionReader.Validate([1, 0, 1, 2, 3, 4, 5, 6]));
        Assert.False(NdpOptionReader.Validate([1, 2, 1, 2, 3, 4, 5, 6]));
        Assert.False(NdpOptionReader.Validate([1]));

        var nonce = new byte[8];
        NdpOption.EncodeNonce(nonce, 0x0102_0304_0506);
        var reader = new NdpOptionReader(nonce);
        Assert.True(reader.TryRead(out var option));
        Assert.Equal(0x0102_0304_0506UL, option.Nonce);
    }

    [Fact]
    public void NdpMessagesEncodeAndParse()
    {
        var ns = new byte[24];
        NdpNeighborSolicitation.Encode(ns, A);
        Assert.True(NdpNeighborSolicitation.TryParse(ns, out var s));
        Assert.Equal(A, s.Target);
        Assert.Equal(135, ns[0]);

        var na = new byte[24];
        NdpNeighborAdvertisement.Encode(na, B, router: true, solicited: false, @override: true);
        Assert.True(NdpNeighborAdvertisement.TryParse(na, out var a));
        Assert.Equal((true, false, true), (a.IsRouter, a.Solicited, a.Override));
        Assert.Equal(B, a.Target);

        var ra = new byte[16];
        NdpRouterAdvertisement.Encode(ra, 64, 1800, 30000, 1000);
        Assert.True(NdpRouterAdvertisement.TryParse(ra, out var r));
        Assert.Equal((64, 1800, 30000u, 1000u), (r.CurrentHopLimit, (int)r.RouterLifetime, r.ReachableTime, r.RetransmitTimer));
        Assert.False(NdpRouterAdvertisement.TryParse(new byte[15], out _));

        var pi = PrefixOption("2001:db8:5::/64", true, false, 100, 50);
        Assert.True(NdpPrefixInformation.TryParse(pi.AsSpan(2), out var p));
        Assert.Equal((64, true, false, 100u, 50u), (p.PrefixLength, p.OnLink, p.Autonomous, p.ValidLifetime, p.PreferredLifetime));
        Assert.Equal(Address.Parse("2001:db8:5::"), p.Prefix);
    }

    [Fact]
    public void AddressHelpersFollowTheRfcs()
    {
        Assert.Equal(Address.Parse("fe80::5054:ff:fe12:3456"), Ipv6Address.LinkLocal(LinkAddress.Parse("52:54:00:12:34:56")));
        Assert.Equal(Address.Parse("fe80::ff:fe00:1"), Ipv6Address.LinkLocal(LinkAddress.Parse("02:00:00:00:00:01")));
        Assert.Equal(Address.Parse("ff02::1:ff12:3456"), Ipv6Address.SolicitedNode(Address.Parse("2001:db8::aa:bb12:3456")));
        Assert.True(Ipv6Address.IsSolicitedNode(Address.Parse("ff02::1:ff00:1")));
        Assert.False(Ipv6Address.IsSolicitedNode(Address.Parse("ff02::1")));
        Assert.True(Ipv6Address.IsV4Mapped(Address.Parse("::ffff:1.2.3.4")));
        Assert.Equal(2, Ipv6Address.Scope(Address.Parse("fe80::1")));
        Assert.Equal(2, Ipv6Address.Scope(Address.Parse("ff02::1")));
        Assert.Equal(5, Ipv6Address.Scope(Address.Parse("ff05::1")));
        Assert.Equal(14, Ipv6Address.Scope(Address.Parse("fd00::1")));
    }

    [Fact]
    public void ChainWalkerBoundsEveryHeader()
    {
        var packet = Ipv6(A, B, 0, Concat(Options(60), Options(44), Fragment(17, 0, true, 1), new byte[8]));
        var end = Ipv6HeaderChain.WalkPacket(packet, 8);
        Assert.True(end.Complete);
        Assert.Equal(17, end.UpperLayer);
        Assert.Equal(64, end.UpperOffset);
        Assert.Equal(56, end.NextFieldOffset);

        Assert.False(Ipv6HeaderChain.WalkPacket(packet[..50], 8).Complete);
        Assert.False(Ipv6HeaderChain.WalkPacket(packet, 2).Complete);
        var later = Ipv6(A, B, 44, Concat(Fragment(17, 8, false, 1), new byte[8]));
        Assert.False(Ipv6HeaderChain.WalkPacket(later, 8).Complete);
    }

    private readonly ref struct Ipv6OptionReaderProbe
    {
        private readonly byte[] _bytes;

        public Ipv6OptionReaderProbe(byte type) => _bytes = [type, 0];

        public Ipv6UnknownOptionAction Action
        {
            get
            {
                var reader = new Ipv6OptionReader(_bytes);
                reader.TryRead(out var option);
                return option.UnknownAction;
            }
        }
    }
}
