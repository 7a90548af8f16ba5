using System.Buffers.Binary;
using Netstack.Network.IPv6;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// Valid (or deliberately hostile but well-formed) packets of every kind the stack parses, with addresses
/// drawn from the interesting sets: ours, the peer's, on-link strangers, off-link, zero, loopback, broadcast,
/// every multicast scope, IPv4-mapped. Mutations start from these.
/// </summary>
internal sealed class PacketFactory(FuzzRandom r, int mtu)
{
    private static readonly Address[] Sources4 =
    [
        FuzzHost.Peer4, FuzzHost.Peer4, FuzzHost.Peer4, Address.Parse("10.0.0.77"), Address.Parse("192.0.2.9"), Address.AnyV4,
        Address.BroadcastV4, Address.Parse("10.0.0.255"), Address.Parse("224.0.0.1"), Address.Parse("127.0.0.1"), FuzzHost.Us4,
        Address.Parse("169.254.1.1"), Address.Parse("240.0.0.1"),
    ];

    private static readonly Address[] Destinations4 =
    [
        FuzzHost.Us4, FuzzHost.Us4, FuzzHost.Us4, FuzzHost.Us4, Address.BroadcastV4, Address.Parse("10.0.0.255"), Address.Parse("224.0.0.1"),
        FuzzHost.Group4, Address.Parse("224.0.0.251"), Address.Parse("10.0.0.3"), Address.Parse("192.0.2.9"), Address.AnyV4,
        Address.Parse("127.0.0.1"), Address.Parse("10.0.0.0"),
    ];

    private static readonly Address[] Sources6 =
    [
        FuzzHost.Peer6, FuzzHost.Peer6, FuzzHost.Peer6, Address.Parse("fe80::1"), Address.Parse("fe80::2"), Address.Parse("fd00::77"),
        Address.Parse("2001:db8::9"), Address.AnyV6, Address.AllNodesV6, Address.Parse("::1"), Address.Parse("::ffff:10.0.0.1"),
        FuzzHost.Us6, FuzzHost.OurLinkLocal,
    ];

    private static readonly Address[] Destinations6 =
    [
        FuzzHost.Us6, FuzzHost.Us6, FuzzHost.Us6, FuzzHost.OurLinkLocal, Address.AllNodesV6, Address.AllRoutersV6,
        Ipv6Address.SolicitedNode(FuzzHost.Us6), Ipv6Address.SolicitedNode(FuzzHost.OurLinkLocal), FuzzHost.Group6,
        Address.Parse("ff01::1"), Address.Parse("ff00::1"), Address.Parse("ff0f::1"), Address.Parse("ff05::2"),
        Address.Parse("fd00::3"), Address.Parse("2001:db8::1"), Address.AnyV6, Address.Parse("::1"), Address.Parse("::ffff:10.0.0.2"),
    ];

    private static readonly ushort[] Ports = [FuzzHost.EchoPort, FuzzHost.EchoPort, FuzzHost.ConnectedPort, FuzzHost.PeerPort, 9, 53, 0, 65535];

    public Address Source4() => r.Chance(0.1) ? Address.FromV4(r.UInt()) : r.Chance(0.15) ? OnLink4() : r.Pick(Sources4);

    public Address Destination4() => r.Chance(0.05) ? Address.FromV4(r.UInt()) : r.Pick(Destinations4);

    public Address Source6() => r.Chance(0.1) ? Address.FromV6(r.ULong(), r.ULong()) : r.Chance(0.15) ? OnLink6() : r.Pick(Sources6);

    public Address Destination6() => r.Chance(0.05) ? Address.FromV6(r.ULong(), r.ULong()) : r.Pick(Destinations6);

    public Address OnLink4() => Address.V4(10, 0, 0, (byte)r.Int(3, 254));

    public Address OnLink6() => r.Chance(0.5)
        ? Address.FromV6(0xFE80_0000_0000_0000, r.ULong())
        : Address.FromV6(0xFD00_0000_0000_0000, r.ULong());

    public ushort Port() => r.Chance(0.8) ? r.Pick(Ports) : (ushort)r.UInt();

    public byte[] Payload() => r.Bytes(r.Length(Math.Min(mtu, 65_535) - 100));

    /// <summary>Any IPv4 packet: ICMP (echo, errors with forged quotes, other types), UDP, unknown protocols, options.</summary>
    public byte[] Ipv4Packet()
    {
        var src = Source4();
        var dst = Destination4();
        byte protocol;
        byte[] l4;
        switch (r.Int(10))
        {
            case 0:
            case 1:
                protocol = Wire.Icmpv4;
                l4 = Wire.Icmp4(8, 0, r.UInt(), Payload());
                break;
            case 2:
            case 3:
                protocol = Wire.Icmpv4;
                l4 = Icmp4Error(dst);
                break;
            case 4:
                protocol = Wire.Icmpv4;
                l4 = Wire.Icmp4(r.Pick<byte>(0, 4, 5, 9, 10, 13, 14, 15, 17, 18, 30, 40, 255, r.Byte()), r.InterestingByte(), r.UInt(), Payload());
                break;
            case 5:
            case 6:
            case 7:
                protocol = Wire.Udp;
                l4 = Wire.UdpDatagram(src, dst, Port(), Port(), Payload());
                break;
            default:
                protocol = r.Pick<byte>(Wire.Tcp, 2, 4, 41, 47, 50, 51, 89, 132, 255, r.Byte());
                l4 = r.Bytes(r.Length(200));
                break;
        }
        ushort flags = r.Chance(0.2) ? (ushort)0x4000 : (ushort)0;
        var options = r.Chance(0.15) ? Ipv4Options() : [];
        return Wire.Ipv4(src, dst, protocol, l4, (ushort)r.UInt(), flags, ttl: r.Chance(0.1) ? r.InterestingByte() : (byte)64,
            tos: r.Chance(0.1) ? r.Byte() : (byte)0, options: options);
    }

    /// <summary>IPv4 options: well-formed ones (record route, timestamp, router alert, source routes, NOPs) and junk.</summary>
    public byte[] Ipv4Options()
    {
        var o = new List<byte>();
        int n = r.Int(1, 4);
        for (int i = 0; i < n && o.Count < 40; i++)
        {
            switch (r.Int(7))
            {
                case 0:
                    o.Add(1);
                    break;
                case 1:
                    o.AddRange([7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
                    break;
                case 2:
                    o.AddRange([68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                    break;
                case 3:
                    o.AddRange([148, 4, 0, 0]);
                    break;
                case 4:
                    o.AddRange([r.Pick<byte>(131, 137), 7, 4, 10, 0, 0, 1]);
                    break;
                case 5:
                    o.Add(0);
                    break;
                default:
                    int length = r.Int(0, 12);
                    o.Add(r.Byte());
                    o.Add(r.InterestingByte());
                    o.AddRange(r.Bytes(length));
                    break;
            }
        }
        return [.. o.Take(40)];
    }

    /// <summary>An ICMPv4 error quoting a forged datagram "from us" (or not), to a port that may be a connected socket's.</summary>
    public byte[] Icmp4Error(Address quotedSourceHint)
    {
        byte type = r.Pick<byte>(3, 3, 3, 11, 12, 4, 5);
        byte code = type == 3 ? (byte)r.Int(0, 16) : r.InterestingByte();
        uint rest = type == 3 && code == 4 ? r.Pick<uint>(0, 68, 67, 296, 576, 1280, 1400, 1499, 1500, 9000, 65535, r.UInt() & 0xFFFF) : r.UInt();
        var quotedSource = r.Chance(0.8) ? FuzzHost.Us4 : quotedSourceHint;
        var quotedDestination = r.Chance(0.5) ? FuzzHost.Peer4 : Destination4();
        byte quotedProtocol = r.Pick<byte>(Wire.Udp, Wire.Udp, Wire.Icmpv4, Wire.Tcp, r.Byte());
        byte[] inner = quotedProtocol switch
        {
            Wire.Udp => Wire.UdpDatagram(quotedSource, quotedDestination,
                r.Chance(0.6) ? FuzzHost.ConnectedPort : Port(), r.Chance(0.6) ? FuzzHost.PeerPort : Port(), r.Bytes(r.Int(0, 32))),
            Wire.Icmpv4 => Wire.Icmp4(r.Pick<byte>(8, 0, 3, 11), 0, r.UInt(), r.Bytes(r.Int(0, 16))),
            _ => r.Bytes(r.Int(0, 40)),
        };
        var quoted = Wire.Ipv4(quotedSource, quotedDestination, quotedProtocol, inner, (ushort)r.UInt(),
            r.Chance(0.2) ? (ushort)r.InterestingUShort(0) : (ushort)0, options: r.Chance(0.1) ? Ipv4Options() : default);
        if (r.Chance(0.5))
        {
            // Real errors quote the header and 8 bytes; RFC 1812 routers quote more.
            int headerLength = (quoted[0] & 0x0F) * 4;
            quoted = quoted[..Math.Min(quoted.Length, headerLength + r.Pick(0, 4, 8, 8, 8, 12))];
        }
        if (r.Chance(0.1))
        {
            BinaryPrimitives.WriteUInt16BigEndian(quoted.AsSpan(2), r.InterestingUShort(quoted.Length));
        }
        return Wire.Icmp4(type, code, rest, quoted);
    }

    /// <summary>An ARP request or reply: for us, for others, gratuitous, probes, from strangers or the peer.</summary>
    public byte[] Arp()
    {
        ushort op = r.Chance(0.1) ? (ushort)r.Int(0, 10) : r.Chance(0.6) ? (ushort)1 : (ushort)2;
        var senderMac = r.Chance(0.6) ? RandomUnicastMac() : r.Pick(FuzzHost.PeerMac, FuzzHost.OurMac, LinkAddress.Broadcast,
            LinkAddress.Parse("01:00:5e:00:00:01"));
        var sender = r.Pick(r.Chance(0.5) ? OnLink4() : Source4(), FuzzHost.Peer4, Address.AnyV4);
        var target = r.Pick(FuzzHost.Us4, FuzzHost.Us4, sender, OnLink4(), Destination4());
        var targetMac = r.Chance(0.5) ? LinkAddress.FromUInt64(0) : r.Pick(FuzzHost.OurMac, RandomUnicastMac());
        return Wire.Arp(op, senderMac, sender, targetMac, target);
    }

    public LinkAddress RandomUnicastMac() => LinkAddress.FromUInt64((r.ULong() & 0xFEFF_FFFF_FFFFUL) | 0x0200_0000_0000UL);

    /// <summary>Any IPv6 packet: ICMPv6 (echo, errors, NDP, MLD, unknown), UDP, extension header chains, unknown next headers.</summary>
    public byte[] Ipv6Packet()
    {
        var src = Source6();
        var dst = Destination6();
        byte upper;
        byte[] l4;
        byte hopLimit = r.Chance(0.1) ? r.InterestingByte() : (byte)64;
        switch (r.Int(12))
        {
            case 0:
            case 1:
                upper = Wire.Icmpv6;
                l4 = Wire.Icmp6(src, dst, 128, 0, r.UInt(), Payload());
                break;
            case 2:
            case 3:
                upper = Wire.Icmpv6;
                l4 = Icmp6Error(src, dst);
                break;
            case 4:
            case 5:
            case 6:
                upper = Wire.Icmpv6;
                l4 = Ndp(ref src, ref dst);
                hopLimit = r.Chance(0.9) ? (byte)255 : hopLimit;
                break;
            case 7:
                upper = Wire.Icmpv6;
                l4 = Wire.Icmp6(src, dst, r.Pick<byte>(129, 130, 131, 132, 143, 1, 2, 3, 4, 127, 200, 255, r.Byte()), r.InterestingByte(), r.UInt(), Payload());
                break;
            case 8:
            case 9:
            case 10:
                upper = Wire.Udp;
                l4 = Wire.UdpDatagram(src, dst, Port(), Port(), Payload());
                break;
            default:
                upper = r.Pick<byte>(Wire.Tcp, 4, 41, 50, 51, 132, 135, 139, 140, 253, 255, Wire.NoNext, r.Byte());
                l4 = r.Bytes(r.Length(200));
                break;
        }
        if (r.Chance(0.3))
        {
            var (first, chain) = ExtensionChain(upper);
            return Wire.Ipv6(src, dst, first, [.. chain, .. l4], hopLimit);
        }
        return Wire.Ipv6(src, dst, upper, l4, hopLimit);
    }

    /// <summary>A chain of extension headers ending in <paramref name="upper"/>: hop-by-hop (first or misplaced), destination options, routing, atomic fragments.</summary>
    public (byte First, byte[] Chain) ExtensionChain(byte upper)
    {
        int count = r.Chance(0.1) ? r.Int(5, 12) : r.Int(1, 3);
        var kinds = new byte[count];
        for (int i = 0; i < count; i++)
        {
            kinds[i] = r.Pick(Wire.HopByHop, Wire.DestinationOptions, Wire.DestinationOptions, Wire.Routing, Wire.Fragment);
        }
        var chain = new List<byte>();
        for (int i = 0; i < count; i++)
        {
            byte next = i + 1 < count ? kinds[i + 1] : upper;
            byte[] header = kinds[i] switch
            {
                Wire.Routing => Wire.RoutingHeader(next, r.Pick<byte>(0, 2, 3, 4, r.Byte()), r.Chance(0.5) ? (byte)0 : r.InterestingByte(), 8 * r.Int(1, 3)),
                Wire.Fragment => Wire.FragmentHeader(next, 0, false, r.UInt()),
                _ => Wire.OptionsHeader(next, Ipv6Options()),
            };
            chain.AddRange(header);
        }
        return (kinds[0], [.. chain]);
    }

    /// <summary>TLV options for hop-by-hop / destination options headers: padding runs, router alert, jumbo, unknown with every action.</summary>
    public byte[] Ipv6Options()
    {
        var o = new List<byte>();
        int n = r.Chance(0.1) ? r.Int(6, 12) : r.Int(0, 3);
        for (int i = 0; i < n && o.Count < 200; i++)
        {
            switch (r.Int(7))
            {
                case 0:
                    o.Add(0);
                    break;
                case 1:
                    int pad = r.Int(0, 8);
                    o.Add(1);
                    o.Add((byte)pad);
                    o.AddRange(r.Chance(0.8) ? new byte[pad] : r.Bytes(pad));
                    break;
                case 2:
                    o.AddRange([5, 2, 0, 0]);
                    break;
                case 3:
                    o.AddRange([0xC2, 4, .. r.Bytes(4)]);
                    break;
                default:
                    int length = r.Int(0, 8);
                    o.Add((byte)((r.Int(4) << 6) | r.Int(2, 63)));
                    o.Add((byte)length);
                    o.AddRange(r.Bytes(length));
                    break;
            }
        }
        return [.. o];
    }

    /// <summary>An ICMPv6 error quoting a forged packet (from us, mostly), maybe with extension headers, to a connected socket's ports.</summary>
    public byte[] Icmp6Error(Address src, Address dst)
    {
        byte type = r.Pick<byte>(1, 1, 2, 2, 3, 4);
        byte code = r.Chance(0.8) ? (byte)r.Int(0, 7) : r.InterestingByte();
        uint word = type == 2
            ? r.Pick<uint>(0, 1, 68, 1279, 1280, 1281, 1400, 1500, 9000, 65535, 0xFFFF_FFFF, r.UInt())
            : type == 4 ? (uint)r.Int(0, 80) : r.UInt();
        var quotedSource = r.Chance(0.8) ? r.Pick(FuzzHost.Us6, FuzzHost.OurLinkLocal) : Source6();
        var quotedDestination = r.Chance(0.5) ? FuzzHost.Peer6 : Destination6();
        byte quotedProtocol = r.Pick<byte>(Wire.Udp, Wire.Udp, Wire.Icmpv6, Wire.Tcp, r.Byte());
        byte[] inner = quotedProtocol switch
        {
            Wire.Udp => Wire.UdpDatagram(quotedSource, quotedDestination,
                r.Chance(0.6) ? FuzzHost.ConnectedPort : Port(), r.Chance(0.6) ? FuzzHost.PeerPort : Port(), r.Bytes(r.Int(0, 64))),
            Wire.Icmpv6 => Wire.Icmp6(quotedSource, quotedDestination, r.Pick<byte>(128, 1, 135), 0, r.UInt(), r.Bytes(r.Int(0, 16))),
            _ => r.Bytes(r.Int(0, 40)),
        };
        byte[] quoted;
        if (r.Chance(0.3))
        {
            var (first, chain) = ExtensionChain(quotedProtocol);
            quoted = Wire.Ipv6(quotedSource, quotedDestination, first, [.. chain, .. inner]);
        }
        else
        {
            quoted = Wire.Ipv6(quotedSource, quotedDestination, quotedProtocol, inner);
        }
        if (r.Chance(0.3))
        {
            quoted = quoted[..r.Int(0, quoted.Length)];
        }
        return Wire.Icmp6(src, dst, type, code, word, quoted);
    }

    /// <summary>An NDP message (RS, RA, NS, NA, redirect) with options; may rewrite the addresses to what NDP needs.</summary>
    public byte[] Ndp(ref Address src, ref Address dst)
    {
        switch (r.Int(8))
        {
            case 0:
            case 1:
            {
                // Neighbour solicitation, sometimes DAD-shaped.
                bool dad = r.Chance(0.2);
                var target = r.Pick(FuzzHost.Us6, FuzzHost.OurLinkLocal, FuzzHost.Us6, OnLink6(), Destination6());
                if (dad)
                {
                    src = Address.AnyV6;
                    dst = Ipv6Address.SolicitedNode(target);
                }
                else if (r.Chance(0.5))
                {
                    src = OnLink6();
                    dst = r.Chance(0.5) ? Ipv6Address.SolicitedNode(target) : target;
                }
                var options = new List<byte[]>();
                if (!dad && r.Chance(0.8))
                {
                    options.Add(Wire.NdpLinkAddressOption(1, RandomUnicastMac()));
                }
                if (r.Chance(0.3))
                {
                    options.Add(Wire.NdpNonceOption(r.ULong()));
                }
                AddJunkOptions(options);
                return Wire.Icmp6(src, dst, 135, 0, 0, Wire.NdpTargetBody(target, [.. options]));
            }
            case 2:
            case 3:
            {
                var target = r.Chance(0.4) ? OnLink6() : r.Pick(FuzzHost.Peer6, FuzzHost.Us6, FuzzHost.OurLinkLocal, Address.Parse("fe80::1"));
                src = r.Chance(0.7) ? target : src;
                uint flags = (r.Chance(0.3) ? 0x8000_0000u : 0u) | (r.Chance(0.5) ? 0x4000_0000u : 0u) | (r.Chance(0.5) ? 0x2000_0000u : 0u);
                var options = new List<byte[]>();
                if (r.Chance(0.8))
                {
                    options.Add(Wire.NdpLinkAddressOption(2, RandomUnicastMac()));
                }
                AddJunkOptions(options);
                return Wire.Icmp6(src, dst, 136, 0, flags, Wire.NdpTargetBody(target, [.. options]));
            }
            case 4:
            case 5:
            {
                // Router advertisement: from a link-local router, with prefixes, MTU, link address.
                src = r.Chance(0.85) ? Address.FromV6(0xFE80_0000_0000_0000, (ulong)r.Int(1, 40)) : src;
                dst = r.Chance(0.7) ? Address.AllNodesV6 : dst;
                var options = new List<byte[]>();
                if (r.Chance(0.7))
                {
                    options.Add(Wire.NdpLinkAddressOption(1, RandomUnicastMac()));
                }
                int prefixes = r.Chance(0.1) ? r.Int(10, 40) : r.Int(0, 3);
                for (int i = 0; i < prefixes; i++)
                {
                    var prefix = r.Chance(0.7)
                        ? Address.FromV6(0x2001_0DB8_0000_0000UL | (ulong)r.Int(0, 200) << 16, 0)
                        : r.Pick(FuzzHost.Us6, Address.AnyV6, Address.Parse("fe80::"), Address.Parse("ff02::"), Address.FromV6(r.ULong(), r.ULong()));
                    byte length = r.Chance(0.7) ? (byte)64 : r.Pick<byte>(0, 1, 48, 63, 65, 127, 128, 129, 255);
                    uint valid = r.Pick<uint>(0, 1, 30, 7200, 7201, 86400, 0xFFFF_FFFF, r.UInt());
                    uint preferred = r.Chance(0.8) ? Math.Min(valid, r.Pick<uint>(0, 1, 30, 3600, 0xFFFF_FFFF)) : r.UInt();
                    options.Add(Wire.NdpPrefixOption(prefix, length, r.Chance(0.7), r.Chance(0.7), valid, preferred));
                }
                if (r.Chance(0.3))
                {
                    options.Add(Wire.NdpMtuOption(r.Pick<uint>(0, 1279, 1280, 1400, 1500, 1501, 9000, 0xFFFF_FFFF, r.UInt())));
                }
                AddJunkOptions(options);
                var body = new byte[8];
                BinaryPrimitives.WriteUInt32BigEndian(body, r.UInt());
                BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(4), r.UInt());
                ushort lifetime = r.Pick<ushort>(0, 1, 1800, 9000, 65535, (ushort)r.UInt());
                uint word = (uint)(r.Byte() << 24 | r.Byte() << 16 | lifetime);
                return Wire.Icmp6(src, dst, 134, 0, word, [.. body, .. options.SelectMany(o => o)]);
            }
            case 6:
            {
                // Redirect: target and destination, then options.
                src = Address.FromV6(0xFE80_0000_0000_0000, (ulong)r.Int(1, 40));
                var body = new byte[32];
                Address.Parse("fe80::99").WriteTo(body);
                Destination6().WriteTo(body.AsSpan(16));
                var options = new List<byte[]>();
                AddJunkOptions(options);
                return Wire.Icmp6(src, dst, 137, 0, 0, [.. body, .. options.SelectMany(o => o)]);
            }
            default:
            {
                var options = new List<byte[]> { Wire.NdpLinkAddressOption(1, RandomUnicastMac()) };
                AddJunkOptions(options);
                return Wire.Icmp6(src, Address.AllRoutersV6, 133, 0, 0, [.. options.SelectMany(o => o)]);
            }
        }
    }

    private void AddJunkOptions(List<byte[]> options)
    {
        if (!r.Chance(0.2))
        {
            return;
        }
        int length = r.Int(0, 3);
        var o = new byte[Math.Max(2, length * 8)];
        o[0] = r.Byte();
        o[1] = r.Chance(0.7) ? (byte)length : r.InterestingByte();
        options.Add(o);
    }
}
