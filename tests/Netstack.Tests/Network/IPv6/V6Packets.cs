using System.Buffers.Binary;
using Netstack.Headers;

namespace Netstack.Tests.Network.IPv6;

/// <summary>Builds IPv6 packets byte by byte for tests, independently of the code under test's encoders.</summary>
internal static class V6Packets
{
    public static byte[] Ipv6(Address src, Address dst, byte next, ReadOnlySpan<byte> payload, byte hopLimit = 64,
        int? payloadLength = null, int version = 6, byte trafficClass = 0)
    {
        var p = new byte[40 + payload.Length];
        p[0] = (byte)(version << 4 | trafficClass >> 4);
        p[1] = (byte)(trafficClass << 4);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(payloadLength ?? payload.Length));
        p[6] = next;
        p[7] = hopLimit;
        src.WriteTo(p.AsSpan(8));
        dst.WriteTo(p.AsSpan(24));
        payload.CopyTo(p.AsSpan(40));
        return p;
    }

    /// <summary>A UDP datagram (header and data) with a correct checksum.</summary>
    public static byte[] Udp(Address src, Address dst, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> data)
    {
        var u = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(u, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(4), (ushort)u.Length);
        data.CopyTo(u.AsSpan(8));
        ushort c = Checksum.Compute(u, Checksum.PseudoHeaderSum(src, dst, 17, u.Length));
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(6), c == 0 ? (ushort)0xFFFF : c);
        return u;
    }

    /// <summary>An ICMPv6 message: type, code, checksum, then <paramref name="rest"/>.</summary>
    public static byte[] Icmp(Address src, Address dst, byte type, byte code, ReadOnlySpan<byte> rest)
    {
        var m = new byte[4 + rest.Length];
        m[0] = type;
        m[1] = code;
        rest.CopyTo(m.AsSpan(4));
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), Checksum.Compute(m, Checksum.PseudoHeaderSum(src, dst, 58, m.Length)));
        return m;
    }

    public static byte[] EchoRequest(Address src, Address dst, ushort id, ushort seq, ReadOnlySpan<byte> data)
    {
        var rest = new byte[4 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(rest, id);
        BinaryPrimitives.WriteUInt16BigEndian(rest.AsSpan(2), seq);
        data.CopyTo(rest.AsSpan(4));
        return Icmp(src, dst, 128, 0, rest);
    }

    /// <summary>A hop-by-hop / destination options / routing header of <paramref name="length"/> bytes: next header, length, <paramref name="body"/>, zeros.</summary>
    public static byte[] Extension(byte next, int length, params byte[] body)
    {
        var e = new byte[length];
        e[0] = next;
        e[1] = (byte)(length / 8 - 1);
        body.CopyTo(e, 2);
        return e;
    }

    /// <summary>An options header whose options area is <paramref name="options"/> padded with PadN to a multiple of 8.</summary>
    public static byte[] Options(byte next, params byte[] options)
    {
        int length = (2 + options.Length + 7) / 8 * 8;
        int pad = length - 2 - options.Length;
        var body = new List<byte>(options);
        if (pad == 1)
        {
            body.Add(0);
        }
        else if (pad >= 2)
        {
            body.Add(1);
            body.Add((byte)(pad - 2));
            body.AddRange(new byte[pad - 2]);
        }
        return Extension(next, length, [.. body]);
    }

    public static byte[] Routing(byte next, byte segmentsLeft, byte type = 0) => Extension(next, 8, type, segmentsLeft);

    public static byte[] Fragment(byte next, int offset, bool more, uint id)
    {
        var f = new byte[8];
        f[0] = next;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(2), (ushort)(offset | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(4), id);
        return f;
    }

    /// <summary>A neighbour solicitation message with optional source link-layer address and nonce options.</summary>
    public static byte[] Ns(Address src, Address dst, Address target, LinkAddress? sourceMac = null, ulong nonce = 0, byte code = 0)
    {
        var rest = new List<byte>(new byte[4]);
        rest.AddRange(Bytes(target));
        if (sourceMac is { } mac)
        {
            rest.AddRange([1, 1, .. Bytes(mac)]);
        }
        if (nonce != 0)
        {
            rest.AddRange([14, 1, (byte)(nonce >> 40), (byte)(nonce >> 32), (byte)(nonce >> 24), (byte)(nonce >> 16), (byte)(nonce >> 8), (byte)nonce]);
        }
        return Icmp(src, dst, 135, code, [.. rest]);
    }

    /// <summary>A neighbour advertisement message with an optional target link-layer address option.</summary>
    public static byte[] Na(Address src, Address dst, Address target, bool solicited, bool @override, LinkAddress? targetMac = null, bool router = false)
    {
        var rest = new List<byte> { (byte)((router ? 0x80 : 0) | (solicited ? 0x40 : 0) | (@override ? 0x20 : 0)), 0, 0, 0 };
        rest.AddRange(Bytes(target));
        if (targetMac is { } mac)
        {
            rest.AddRange([2, 1, .. Bytes(mac)]);
        }
        return Icmp(src, dst, 136, 0, [.. rest]);
    }

    /// <summary>A router advertisement with the given options (already encoded).</summary>
    public static byte[] Ra(Address src, Address dst, ushort routerLifetime, params byte[][] options)
    {
        var rest = new byte[12];
        rest[0] = 64;
        BinaryPrimitives.WriteUInt16BigEndian(rest.AsSpan(2), routerLifetime);
        return Icmp(src, dst, 134, 0, Concat([rest, .. options]));
    }

    public static byte[] PrefixOption(string prefix, bool onLink, bool autonomous, uint valid, uint preferred)
    {
        var o = new byte[32];
        NdpPrefixInformation.Encode(o, Subnet.Parse(prefix), onLink, autonomous, valid, preferred);
        return o;
    }

    public static byte[] MtuOption(uint mtu)
    {
        var o = new byte[8];
        o[0] = 5;
        o[1] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(4), mtu);
        return o;
    }

    public static byte[] LinkAddressOption(byte type, LinkAddress mac) => [type, 1, .. Bytes(mac)];

    public static byte[] Bytes(Address a)
    {
        var b = new byte[16];
        a.WriteTo(b);
        return b;
    }

    public static byte[] Bytes(LinkAddress a)
    {
        var b = new byte[6];
        a.WriteTo(b);
        return b;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Ethernet(LinkAddress dst, LinkAddress src, byte[] packet, ushort etherType = 0x86DD)
    {
        var f = new byte[14 + packet.Length];
        dst.WriteTo(f);
        src.WriteTo(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), etherType);
        packet.CopyTo(f, 14);
        return f;
    }

    /// <summary>Splits an upper-layer payload into fragment packets of at most <paramref name="perFragment"/> data bytes (a multiple of 8).</summary>
    public static List<byte[]> Fragments(Address src, Address dst, byte next, byte[] payload, int perFragment, uint id, byte[]? unfragmentable = null, byte unfragmentableNext = 44)
    {
        var list = new List<byte[]>();
        for (int off = 0; off < payload.Length; off += perFragment)
        {
            int len = Math.Min(perFragment, payload.Length - off);
            var frag = Fragment(next, off, off + len < payload.Length, id);
            var body = unfragmentable is null
                ? Concat(frag, payload[off..(off + len)])
                : Concat(unfragmentable, frag, payload[off..(off + len)]);
            list.Add(Ipv6(src, dst, unfragmentable is null ? (byte)44 : unfragmentableNext, body));
        }
        return list;
    }
}
