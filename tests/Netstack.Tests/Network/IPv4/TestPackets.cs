using System.Buffers.Binary;
using Netstack.Headers;

namespace Netstack.Tests.Network.IPv4;

/// <summary>Builds raw IPv4, UDP, ICMP and Ethernet bytes for injecting into a stack (independent of the code under test's encoders where it matters).</summary>
internal static class TestPackets
{
    public const byte Udp = 17;
    public const byte Tcp = 6;
    public const byte Icmp = 1;

    /// <summary>An IPv4 packet; <paramref name="options"/> must be a multiple of 4 bytes.</summary>
    public static byte[] Ipv4(Address src, Address dst, byte protocol, ReadOnlySpan<byte> payload, ushort id = 1,
        ushort flagsAndOffset = 0, byte ttl = 64, ReadOnlySpan<byte> options = default, byte tos = 0)
    {
        int hlen = 20 + options.Length;
        var b = new byte[hlen + payload.Length];
        b[0] = (byte)(0x40 | (hlen / 4));
        b[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)b.Length);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), flagsAndOffset);
        b[8] = ttl;
        b[9] = protocol;
        src.WriteTo(b.AsSpan(12));
        dst.WriteTo(b.AsSpan(16));
        options.CopyTo(b.AsSpan(20));
        FixChecksum(b);
        payload.CopyTo(b.AsSpan(hlen));
        return b;
    }

    /// <summary>Recomputes the IPv4 header checksum of <paramref name="packet"/> in place.</summary>
    public static void FixChecksum(byte[] packet)
    {
        int hlen = (packet[0] & 0xF) * 4;
        packet[10] = packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), ReferenceChecksum(packet.AsSpan(0, hlen)));
    }

    /// <summary>A UDP header + payload (checksum 0: the fake transport does not check it).</summary>
    public static byte[] UdpSegment(ushort srcPort, ushort dstPort, ReadOnlySpan<byte> payload)
    {
        var b = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)b.Length);
        payload.CopyTo(b.AsSpan(8));
        return b;
    }

    /// <summary>An ICMP message with a correct checksum.</summary>
    public static byte[] IcmpMessage(byte type, byte code, uint rest, ReadOnlySpan<byte> body)
    {
        var b = new byte[8 + body.Length];
        b[0] = type;
        b[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), rest);
        body.CopyTo(b.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), ReferenceChecksum(b));
        return b;
    }

    public static byte[] EchoRequest(ushort id, ushort seq, ReadOnlySpan<byte> data) =>
        IcmpMessage(Icmpv4Type.Echo, 0, (uint)(id << 16 | seq), data);

    /// <summary>An Ethernet II frame.</summary>
    public static byte[] Ethernet(LinkAddress dst, LinkAddress src, ushort etherType, ReadOnlySpan<byte> payload)
    {
        var b = new byte[14 + payload.Length];
        dst.WriteTo(b);
        src.WriteTo(b.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(12), etherType);
        payload.CopyTo(b.AsSpan(14));
        return b;
    }

    /// <summary>An Ethernet/IPv4 ARP packet, built by hand.</summary>
    public static byte[] Arp(ushort op, LinkAddress senderMac, Address senderIp, LinkAddress targetMac, Address targetIp)
    {
        var b = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(b, 1);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 0x0800);
        b[4] = 6;
        b[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), op);
        senderMac.WriteTo(b.AsSpan(8));
        senderIp.WriteTo(b.AsSpan(14));
        targetMac.WriteTo(b.AsSpan(18));
        targetIp.WriteTo(b.AsSpan(24));
        return b;
    }

    /// <summary>Payload bytes with a recognisable pattern.</summary>
    public static byte[] Pattern(int length, int seed = 0)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            b[i] = (byte)(i * 7 + seed + (i >> 8));
        }
        return b;
    }

    /// <summary>
    /// Splits an IPv4 packet (no options) into fragments of at most <paramref name="fragmentPayload"/> bytes
    /// (a multiple of 8), each with its own header.
    /// </summary>
    public static List<byte[]> Fragment(byte[] packet, int fragmentPayload)
    {
        int hlen = (packet[0] & 0xF) * 4;
        var payload = packet.AsSpan(hlen);
        var result = new List<byte[]>();
        for (int off = 0; off < payload.Length; off += fragmentPayload)
        {
            int len = Math.Min(fragmentPayload, payload.Length - off);
            bool more = off + len < payload.Length;
            result.Add(FragmentOf(packet, off, len, more));
        }
        return result;
    }

    /// <summary>One fragment of <paramref name="packet"/>: payload bytes [offset, offset+length) with the given MF flag.</summary>
    public static byte[] FragmentOf(byte[] packet, int offset, int length, bool more)
    {
        int hlen = (packet[0] & 0xF) * 4;
        var f = new byte[hlen + length];
        packet.AsSpan(0, hlen).CopyTo(f);
        packet.AsSpan(hlen + offset, length).CopyTo(f.AsSpan(hlen));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(2), (ushort)f.Length);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(6), (ushort)((offset / 8) | (more ? 0x2000 : 0)));
        FixChecksum(f);
        return f;
    }

    /// <summary>Decodes an IPv4 packet with PacketDotNet (an independent decoder).</summary>
    public static PacketDotNet.IPv4Packet Decode(byte[] ipPacket) =>
        PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Raw, ipPacket).Extract<PacketDotNet.IPv4Packet>()
        ?? throw new InvalidOperationException("not an IPv4 packet");

    /// <summary>A straightforward RFC 1071 checksum, independent of the library's.</summary>
    public static ushort ReferenceChecksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8 | data[i + 1]);
        }
        if ((data.Length & 1) != 0)
        {
            sum += (uint)(data[^1] << 8);
        }
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
