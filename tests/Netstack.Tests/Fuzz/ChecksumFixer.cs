using System.Buffers.Binary;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// Recomputes the checksums of a mutated frame where its (possibly damaged) structure still lets them be
/// found: the IPv4 header checksum, and the UDP, ICMPv4 or ICMPv6 checksum of an unfragmented packet. A fuzzer
/// that never fixes checksums only ever tests the checksum checks; fixing them lets mutations reach the code
/// behind them. Nothing here trusts a length: every read is bounded by the frame.
/// </summary>
internal static class ChecksumFixer
{
    public static void Fix(byte[] frame, bool ethernet)
    {
        int l3 = 0;
        ushort etherType;
        if (ethernet)
        {
            if (frame.Length < 14)
            {
                return;
            }
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
            l3 = 14;
        }
        else
        {
            if (frame.Length < 1)
            {
                return;
            }
            etherType = (frame[0] >> 4) switch
            {
                4 => Wire.EtherIPv4,
                6 => Wire.EtherIPv6,
                _ => 0,
            };
        }
        var packet = frame.AsSpan(l3);
        if (etherType == Wire.EtherIPv4)
        {
            FixIpv4(packet);
        }
        else if (etherType == Wire.EtherIPv6)
        {
            FixIpv6(packet);
        }
    }

    private static void FixIpv4(Span<byte> packet)
    {
        if (packet.Length < 20)
        {
            return;
        }
        int headerLength = (packet[0] & 0x0F) * 4;
        if (headerLength < 20 || headerLength > packet.Length)
        {
            return;
        }
        int total = Math.Clamp(BinaryPrimitives.ReadUInt16BigEndian(packet[2..]), headerLength, packet.Length);
        ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        bool fragment = (flagsAndOffset & 0x3FFF) != 0;
        var src = Address.ReadV4(packet[12..]);
        var dst = Address.ReadV4(packet[16..]);
        var l4 = packet[headerLength..total];
        if (!fragment)
        {
            FixTransport(packet[9], l4, src, dst);
        }
        Wire.FixIpv4HeaderChecksum(packet);
    }

    private static void FixIpv6(Span<byte> packet)
    {
        if (packet.Length < 40)
        {
            return;
        }
        int end = Math.Min(packet.Length, 40 + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]));
        var src = Address.ReadV6(packet[8..]);
        var dst = Address.ReadV6(packet[24..]);
        byte next = packet[6];
        int offset = 40;
        for (int headers = 0; headers < 16; headers++)
        {
            switch (next)
            {
                case Wire.HopByHop:
                case Wire.Routing:
                case Wire.DestinationOptions:
                    if (offset + 2 > end)
                    {
                        return;
                    }
                    int length = (packet[offset + 1] + 1) * 8;
                    next = packet[offset];
                    offset += length;
                    break;
                case Wire.Fragment:
                    if (offset + 8 > end)
                    {
                        return;
                    }
                    if ((BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]) & 0xFFF9) != 0)
                    {
                        return; // a real fragment: its checksum covers bytes we do not have
                    }
                    next = packet[offset];
                    offset += 8;
                    break;
                default:
                    if (offset <= end)
                    {
                        FixTransport(next, packet[offset..end], src, dst);
                    }
                    return;
            }
            if (offset > end)
            {
                return;
            }
        }
    }

    private static void FixTransport(byte protocol, Span<byte> l4, Address src, Address dst)
    {
        switch (protocol)
        {
            case Wire.Udp when l4.Length >= 8:
            {
                int length = Math.Clamp(BinaryPrimitives.ReadUInt16BigEndian(l4[4..]), 8, l4.Length);
                var datagram = l4[..length];
                datagram[6] = 0;
                datagram[7] = 0;
                ushort c = Wire.Finish(Wire.Sum(datagram, Wire.PseudoHeader(src, dst, Wire.Udp, BinaryPrimitives.ReadUInt16BigEndian(l4[4..]))));
                BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], c == 0 ? (ushort)0xFFFF : c);
                break;
            }
            case Wire.Tcp when l4.Length >= 20:
                l4[16] = 0;
                l4[17] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4[16..], Wire.Finish(Wire.Sum(l4, Wire.PseudoHeader(src, dst, Wire.Tcp, l4.Length))));
                break;
            case Wire.Icmpv4 when l4.Length >= 4 && src.IsV4:
                l4[2] = 0;
                l4[3] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], Wire.Finish(Wire.Sum(l4)));
                break;
            case Wire.Icmpv6 when l4.Length >= 4 && src.IsV6:
                l4[2] = 0;
                l4[3] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], Wire.Finish(Wire.Sum(l4, Wire.PseudoHeader(src, dst, Wire.Icmpv6, l4.Length))));
                break;
        }
    }
}
