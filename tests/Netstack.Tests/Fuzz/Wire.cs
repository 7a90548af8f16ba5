using System.Buffers.Binary;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// Byte-level builders for the frames the fuzzer starts from: Ethernet, ARP, IPv4 (with options), IPv6 (with
/// extension headers), ICMPv4, ICMPv6, NDP, UDP and fragments of each IP version. The checksums are computed
/// here with a plain RFC 1071 sum, independently of the stack's own code.
/// </summary>
internal static class Wire
{
    public const ushort EtherIPv4 = 0x0800;
    public const ushort EtherArp = 0x0806;
    public const ushort EtherIPv6 = 0x86DD;
    public const byte Icmpv4 = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Icmpv6 = 58;
    public const byte HopByHop = 0;
    public const byte Routing = 43;
    public const byte Fragment = 44;
    public const byte NoNext = 59;
    public const byte DestinationOptions = 60;

    public static byte[] Ethernet(LinkAddress dst, LinkAddress src, ushort etherType, ReadOnlySpan<byte> payload)
    {
        var f = new byte[14 + payload.Length];
        dst.WriteTo(f);
        src.WriteTo(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), etherType);
        payload.CopyTo(f.AsSpan(14));
        return f;
    }

    public static byte[] Arp(ushort op, LinkAddress senderMac, Address sender, LinkAddress targetMac, Address target)
    {
        var p = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(p, 1);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), EtherIPv4);
        p[4] = 6;
        p[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), op);
        senderMac.WriteTo(p.AsSpan(8));
        sender.WriteTo(p.AsSpan(14));
        targetMac.WriteTo(p.AsSpan(18));
        target.WriteTo(p.AsSpan(24));
        return p;
    }

    /// <summary>An IPv4 packet; <paramref name="options"/> are padded to a multiple of 4 with end-of-list bytes.</summary>
    public static byte[] Ipv4(Address src, Address dst, byte protocol, ReadOnlySpan<byte> payload, ushort id = 1,
        ushort flagsAndOffset = 0, byte ttl = 64, byte tos = 0, ReadOnlySpan<byte> options = default)
    {
        int optionLength = (options.Length + 3) & ~3;
        int headerLength = 20 + optionLength;
        var p = new byte[headerLength + payload.Length];
        p[0] = (byte)(0x40 | (headerLength / 4));
        p[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), flagsAndOffset);
        p[8] = ttl;
        p[9] = protocol;
        src.WriteTo(p.AsSpan(12));
        dst.WriteTo(p.AsSpan(16));
        options.CopyTo(p.AsSpan(20));
        payload.CopyTo(p.AsSpan(headerLength));
        FixIpv4HeaderChecksum(p);
        return p;
    }

    public static void FixIpv4HeaderChecksum(Span<byte> packet)
    {
        int headerLength = (packet[0] & 0x0F) * 4;
        if (headerLength < 20 || headerLength > packet.Length)
        {
            return;
        }
        packet[10] = 0;
        packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], Finish(Sum(packet[..headerLength])));
    }

    /// <summary>A UDP datagram with its checksum over the pseudo-header of <paramref name="src"/> and <paramref name="dst"/>.</summary>
    public static byte[] UdpDatagram(Address src, Address dst, ushort srcPort, ushort dstPort, ReadOnlySpan<byte> data)
    {
        var u = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(u, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(2), dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(4), (ushort)u.Length);
        data.CopyTo(u.AsSpan(8));
        ushort c = Finish(Sum(u, PseudoHeader(src, dst, Udp, u.Length)));
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(6), c == 0 ? (ushort)0xFFFF : c);
        return u;
    }

    /// <summary>A TCP segment (options padded with NOPs to a multiple of 4) checksummed for <paramref name="src"/> → <paramref name="dst"/>.</summary>
    public static byte[] TcpSegment(Address src, Address dst, ushort srcPort, ushort dstPort, uint seq, uint ack, byte flags,
        ushort window, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload, ushort urgent = 0)
    {
        int optionLength = Math.Min((options.Length + 3) & ~3, 40);
        int headerLength = 20 + optionLength;
        var t = new byte[headerLength + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(t, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(2), dstPort);
        BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(8), ack);
        t[12] = (byte)(headerLength / 4 << 4);
        t[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(14), window);
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(18), urgent);
        t.AsSpan(20, optionLength).Fill(1);
        options[..Math.Min(options.Length, optionLength)].CopyTo(t.AsSpan(20));
        payload.CopyTo(t.AsSpan(headerLength));
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(16), Finish(Sum(t, PseudoHeader(src, dst, Tcp, t.Length))));
        return t;
    }

    /// <summary>An ICMPv4 message: type, code, the 4-byte rest of header, body; checksummed.</summary>
    public static byte[] Icmp4(byte type, byte code, uint rest, ReadOnlySpan<byte> body)
    {
        var m = new byte[8 + body.Length];
        m[0] = type;
        m[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), rest);
        body.CopyTo(m.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), Finish(Sum(m)));
        return m;
    }

    /// <summary>An ICMPv6 message checksummed for <paramref name="src"/> → <paramref name="dst"/>.</summary>
    public static byte[] Icmp6(Address src, Address dst, byte type, byte code, uint rest, ReadOnlySpan<byte> body)
    {
        var m = new byte[8 + body.Length];
        m[0] = type;
        m[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), rest);
        body.CopyTo(m.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), Finish(Sum(m, PseudoHeader(src, dst, Icmpv6, m.Length))));
        return m;
    }

    /// <summary>An IPv6 packet whose payload is <paramref name="payload"/> (extension headers included) after <paramref name="next"/>.</summary>
    public static byte[] Ipv6(Address src, Address dst, byte next, ReadOnlySpan<byte> payload, byte hopLimit = 64, uint flowLabel = 0)
    {
        var p = new byte[40 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(p, 0x6000_0000u | (flowLabel & 0xFFFFF));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)payload.Length);
        p[6] = next;
        p[7] = hopLimit;
        src.WriteTo(p.AsSpan(8));
        dst.WriteTo(p.AsSpan(24));
        payload.CopyTo(p.AsSpan(40));
        return p;
    }

    /// <summary>A hop-by-hop or destination options header holding <paramref name="options"/>, padded with PadN to 8 bytes.</summary>
    public static byte[] OptionsHeader(byte next, ReadOnlySpan<byte> options)
    {
        int length = (2 + options.Length + 7) & ~7;
        var h = new byte[length];
        h[0] = next;
        h[1] = (byte)(length / 8 - 1);
        options.CopyTo(h.AsSpan(2));
        int pad = length - 2 - options.Length;
        if (pad == 1)
        {
            h[length - 1] = 0;
        }
        else if (pad >= 2)
        {
            h[2 + options.Length] = 1;
            h[3 + options.Length] = (byte)(pad - 2);
        }
        return h;
    }

    public static byte[] RoutingHeader(byte next, byte type, byte segmentsLeft, int length = 8)
    {
        var h = new byte[length];
        h[0] = next;
        h[1] = (byte)(length / 8 - 1);
        h[2] = type;
        h[3] = segmentsLeft;
        return h;
    }

    public static byte[] FragmentHeader(byte next, int offset, bool more, uint id)
    {
        var h = new byte[8];
        h[0] = next;
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), (ushort)((offset & 0xFFF8) | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), id);
        return h;
    }

    public static byte[] NdpLinkAddressOption(byte type, LinkAddress mac)
    {
        var o = new byte[8];
        o[0] = type;
        o[1] = 1;
        mac.WriteTo(o.AsSpan(2));
        return o;
    }

    public static byte[] NdpPrefixOption(Address prefix, byte prefixLength, bool onLink, bool autonomous, uint valid, uint preferred)
    {
        var o = new byte[32];
        o[0] = 3;
        o[1] = 4;
        o[2] = prefixLength;
        o[3] = (byte)((onLink ? 0x80 : 0) | (autonomous ? 0x40 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(4), valid);
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(8), preferred);
        prefix.WriteTo(o.AsSpan(16));
        return o;
    }

    public static byte[] NdpMtuOption(uint mtu)
    {
        var o = new byte[8];
        o[0] = 5;
        o[1] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(4), mtu);
        return o;
    }

    public static byte[] NdpNonceOption(ulong nonce)
    {
        var o = new byte[8];
        o[0] = 14;
        o[1] = 1;
        for (int i = 0; i < 6; i++)
        {
            o[2 + i] = (byte)(nonce >> (40 - 8 * i));
        }
        return o;
    }

    /// <summary>Body of an NS (after the 4 reserved bytes the ICMPv6 header carries): target then options.</summary>
    public static byte[] NdpTargetBody(Address target, params byte[][] options)
    {
        var body = new List<byte>(16 + options.Sum(o => o.Length));
        var t = new byte[16];
        target.WriteTo(t);
        body.AddRange(t);
        foreach (var o in options)
        {
            body.AddRange(o);
        }
        return [.. body];
    }

    /// <summary>Splits an IPv4 packet (header without options) into fragments of <paramref name="perFragment"/> payload bytes.</summary>
    public static List<byte[]> FragmentIpv4(byte[] packet, int perFragment)
    {
        int headerLength = (packet[0] & 0x0F) * 4;
        int payload = packet.Length - headerLength;
        perFragment = Math.Max(8, perFragment & ~7);
        var list = new List<byte[]>();
        for (int offset = 0; offset < payload; offset += perFragment)
        {
            int n = Math.Min(perFragment, payload - offset);
            list.Add(Ipv4Fragment(packet, offset, n, offset + n < payload));
        }
        return list;
    }

    /// <summary>One fragment of an IPv4 packet: payload bytes [offset, offset + length) with the MF flag as given.</summary>
    public static byte[] Ipv4Fragment(byte[] packet, int offset, int length, bool more)
    {
        int headerLength = (packet[0] & 0x0F) * 4;
        var f = new byte[headerLength + length];
        packet.AsSpan(0, headerLength).CopyTo(f);
        packet.AsSpan(headerLength + offset, length).CopyTo(f.AsSpan(headerLength));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(2), (ushort)f.Length);
        ushort flags = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(6)) & 0x4000);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(6), (ushort)(flags | ((offset / 8) & 0x1FFF) | (more ? 0x2000 : 0)));
        FixIpv4HeaderChecksum(f);
        return f;
    }

    /// <summary>
    /// The fragments of an IPv6 payload: each is the IPv6 header, <paramref name="unfragmentable"/> (whose last
    /// Next Header must name the fragment header, or <paramref name="next"/> when there is none), a fragment header, and
    /// <paramref name="perFragment"/> bytes of <paramref name="fragmentable"/> (which starts with the header named by <paramref name="next"/>).
    /// </summary>
    public static List<byte[]> FragmentIpv6(Address src, Address dst, byte next, byte[] fragmentable, int perFragment, uint id,
        byte[]? unfragmentable = null, byte firstNext = Fragment)
    {
        perFragment = Math.Max(8, perFragment & ~7);
        var list = new List<byte[]>();
        for (int offset = 0; offset < fragmentable.Length; offset += perFragment)
        {
            int n = Math.Min(perFragment, fragmentable.Length - offset);
            list.Add(Ipv6Fragment(src, dst, next, fragmentable.AsSpan(offset, n), offset, offset + n < fragmentable.Length, id,
                unfragmentable, firstNext));
        }
        return list;
    }

    public static byte[] Ipv6Fragment(Address src, Address dst, byte next, ReadOnlySpan<byte> data, int offset, bool more, uint id,
        byte[]? unfragmentable = null, byte firstNext = Fragment)
    {
        unfragmentable ??= [];
        var payload = new byte[unfragmentable.Length + 8 + data.Length];
        unfragmentable.CopyTo(payload, 0);
        FragmentHeader(next, offset, more, id).CopyTo(payload, unfragmentable.Length);
        data.CopyTo(payload.AsSpan(unfragmentable.Length + 8));
        return Ipv6(src, dst, unfragmentable.Length == 0 ? Fragment : firstNext, payload);
    }

    public static ushort PseudoHeader(Address src, Address dst, byte protocol, int length)
    {
        Span<byte> b = stackalloc byte[40];
        int n = src.Length;
        src.WriteTo(b);
        dst.WriteTo(b[n..]);
        uint sum = Sum(b[..(2 * n)]);
        sum += protocol;
        sum += (uint)(length >> 16) + (uint)(length & 0xFFFF);
        return Fold(sum);
    }

    /// <summary>The folded one's-complement sum of <paramref name="data"/> (big-endian words) plus <paramref name="initial"/>.</summary>
    public static ushort Sum(ReadOnlySpan<byte> data, ushort initial = 0)
    {
        uint sum = initial;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8 | data[i + 1]);
            if (sum > 0xFFFF_0000)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }
        }
        if (i < data.Length)
        {
            sum += (uint)(data[i] << 8);
        }
        return Fold(sum);
    }

    public static ushort Finish(ushort sum) => (ushort)~sum;

    private static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)sum;
    }
}
