using System.Buffers.Binary;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// Checks a frame the stack wrote, whatever input provoked it: lengths that agree, valid checksums, sizes within
/// the MTU, ICMP errors within their size caps, and addresses a host may send from. An ICMP error that quotes a
/// malformed packet is where a stack most easily emits something malformed itself.
/// </summary>
internal static class OutputValidator
{
    /// <summary>Null when the frame is well formed, else what is wrong with it.</summary>
    public static string? Check(byte[] frame, bool ethernet, LinkAddress ourMac, int mtu)
    {
        var packet = frame.AsSpan();
        ushort type;
        if (ethernet)
        {
            if (frame.Length < 14)
            {
                return "runt frame";
            }
            if (LinkAddress.FromBytes(packet[6..12]) != ourMac)
            {
                return "source MAC is not ours";
            }
            type = BinaryPrimitives.ReadUInt16BigEndian(packet[12..]);
            packet = packet[14..];
        }
        else
        {
            type = frame.Length == 0 ? (ushort)0 : (frame[0] >> 4) switch { 4 => Wire.EtherIPv4, 6 => Wire.EtherIPv6, _ => (ushort)0 };
        }
        if (packet.Length > mtu)
        {
            return $"{packet.Length} bytes above the MTU";
        }
        return type switch
        {
            Wire.EtherArp => CheckArp(packet, ourMac),
            Wire.EtherIPv4 => CheckIpv4(packet),
            Wire.EtherIPv6 => CheckIpv6(packet),
            _ => $"EtherType 0x{type:x4}",
        };
    }

    private static string? CheckArp(ReadOnlySpan<byte> p, LinkAddress ourMac)
    {
        if (p.Length < 28 || BinaryPrimitives.ReadUInt16BigEndian(p) != 1 || BinaryPrimitives.ReadUInt16BigEndian(p[2..]) != Wire.EtherIPv4
            || p[4] != 6 || p[5] != 4)
        {
            return "bad ARP header";
        }
        ushort op = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        if (op is not (1 or 2))
        {
            return $"ARP opcode {op}";
        }
        return LinkAddress.FromBytes(p[8..14]) == ourMac ? null : "ARP sender MAC is not ours";
    }

    private static string? CheckIpv4(ReadOnlySpan<byte> p)
    {
        if (p.Length < 20 || p[0] != 0x45)
        {
            return "IPv4 version/IHL (we send no options)";
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(p[2..]) != p.Length)
        {
            return "IPv4 total length differs from the packet";
        }
        if (Wire.Sum(p[..20]) != 0xFFFF)
        {
            return "IPv4 header checksum";
        }
        if (p[8] == 0)
        {
            return "IPv4 TTL 0";
        }
        var src = Address.ReadV4(p[12..]);
        if (src.IsMulticast || src.IsLimitedBroadcast || src.IsUnspecified)
        {
            return $"IPv4 source {src}";
        }
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        if ((flags & 0x3FFF) != 0)
        {
            return (flags & 0x2000) != 0 && (p.Length - 20) % 8 != 0 ? "IPv4 fragment not a multiple of 8" : null;
        }
        var dst = Address.ReadV4(p[16..]);
        var l4 = p[20..];
        switch (p[9])
        {
            case Wire.Icmpv4:
                if (l4.Length < 8 || Wire.Sum(l4) != 0xFFFF)
                {
                    return "ICMPv4 checksum";
                }
                if (l4[0] is 3 or 11 or 12 && p.Length > 576)
                {
                    return $"ICMPv4 error of {p.Length} bytes (576 at most)";
                }
                if (l4[0] is 3 or 11 or 12 && (dst.IsMulticast || dst.IsLimitedBroadcast))
                {
                    return "ICMPv4 error to a group";
                }
                return null;
            case Wire.Udp:
                return CheckUdp(l4, src, dst);
            case Wire.Tcp:
                return CheckTcp(l4, src, dst);
            default:
                return $"IPv4 protocol {p[9]}";
        }
    }

    private static string? CheckIpv6(ReadOnlySpan<byte> p)
    {
        if (p.Length < 40 || p[0] >> 4 != 6)
        {
            return "IPv6 version";
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(p[4..]) != p.Length - 40)
        {
            return "IPv6 payload length differs from the packet";
        }
        var src = Address.ReadV6(p[8..]);
        var dst = Address.ReadV6(p[24..]);
        if (src.IsMulticast)
        {
            return "IPv6 multicast source";
        }
        byte next = p[6];
        var l4 = p[40..];
        if (next == Wire.Fragment)
        {
            if (l4.Length < 8)
            {
                return "IPv6 fragment header truncated";
            }
            ushort offsetAndFlags = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
            if ((offsetAndFlags & 1) != 0 && (l4.Length - 8) % 8 != 0)
            {
                return "IPv6 fragment not a multiple of 8";
            }
            return null;
        }
        switch (next)
        {
            case Wire.Icmpv6:
                if (l4.Length < 4 || Wire.Sum(l4, Wire.PseudoHeader(src, dst, Wire.Icmpv6, l4.Length)) != 0xFFFF)
                {
                    return "ICMPv6 checksum";
                }
                if (l4[0] < 128 && p.Length > 1280)
                {
                    return $"ICMPv6 error of {p.Length} bytes (1280 at most)";
                }
                if (l4[0] is >= 133 and <= 137 && p[7] != 255)
                {
                    return "NDP hop limit is not 255";
                }
                if (src.IsUnspecified && l4[0] != 135 && l4[0] != 133)
                {
                    return "IPv6 source :: outside DAD and router solicitation";
                }
                return null;
            case Wire.Udp:
                return CheckUdp(l4, src, dst);
            case Wire.Tcp:
                return CheckTcp(l4, src, dst);
            default:
                return $"IPv6 next header {next}";
        }
    }

    private static string? CheckTcp(ReadOnlySpan<byte> l4, Address src, Address dst)
    {
        if (l4.Length < 20)
        {
            return "TCP segment shorter than its header";
        }
        int headerLength = (l4[12] >> 4) * 4;
        if (headerLength < 20 || headerLength > l4.Length)
        {
            return $"TCP header length {headerLength}";
        }
        byte flags = l4[13];
        if ((flags & 0x02) != 0 && (flags & 0x05) != 0)
        {
            return $"TCP flags 0x{flags:x2} (SYN with FIN or RST)";
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(l4) == 0 || BinaryPrimitives.ReadUInt16BigEndian(l4[2..]) == 0)
        {
            return "TCP port 0";
        }
        if (dst.IsMulticast || dst.IsLimitedBroadcast)
        {
            return "TCP to a group";
        }
        return Wire.Sum(l4, Wire.PseudoHeader(src, dst, Wire.Tcp, l4.Length)) == 0xFFFF ? null : "TCP checksum";
    }

    private static string? CheckUdp(ReadOnlySpan<byte> l4, Address src, Address dst)
    {
        if (l4.Length < 8 || BinaryPrimitives.ReadUInt16BigEndian(l4[4..]) != l4.Length)
        {
            return "UDP length";
        }
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(l4[6..]);
        if (checksum == 0 && src.IsV4)
        {
            return null;
        }
        return Wire.Sum(l4, Wire.PseudoHeader(src, dst, Wire.Udp, l4.Length)) == 0xFFFF ? null : "UDP checksum";
    }
}
