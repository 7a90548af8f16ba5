using Netstack.Headers;

namespace Netstack.Network.IPv6;

/// <summary>Where a walk along an IPv6 extension header chain ended.</summary>
/// <param name="Complete">The upper-layer header starts inside the bytes walked (at <paramref name="UpperOffset"/>).</param>
/// <param name="UpperLayer">The first Next Header value that is not an extension header this stack can walk.</param>
/// <param name="UpperOffset">Offset of the upper-layer header.</param>
/// <param name="NextFieldOffset">Offset of the Next Header field that holds <paramref name="UpperLayer"/>.</param>
internal readonly record struct ChainEnd(bool Complete, byte UpperLayer, int UpperOffset, int NextFieldOffset);

/// <summary>
/// Walks an IPv6 extension header chain held in one span without trusting it: every length is checked
/// against the bytes present and the number of headers is bounded, so no chain can loop or overrun.
/// Used where a packet is inspected rather than received: the packet inside an ICMPv6 error, the header
/// chain of a first fragment (RFC 7112), and the packets ICMP errors answer.
/// </summary>
internal static class Ipv6HeaderChain
{
    /// <summary>
    /// Walks from the header of type <paramref name="next"/> at <paramref name="offset"/>, named by the
    /// field at <paramref name="nextFieldOffset"/>. Stops at the first non-extension header, at a
    /// non-first fragment (whose data is no header), when a header runs past the end, or after
    /// <paramref name="maxHeaders"/> headers; only the first case is <see cref="ChainEnd.Complete"/>.
    /// </summary>
    public static ChainEnd Walk(ReadOnlySpan<byte> bytes, byte next, int offset, int nextFieldOffset, int maxHeaders)
    {
        for (int headers = 0; headers <= maxHeaders; headers++)
        {
            int length;
            switch (next)
            {
                case Ipv6NextHeader.HopByHop:
                case Ipv6NextHeader.Routing:
                case Ipv6NextHeader.DestinationOptions:
                    length = Ipv6ExtensionHeader.DeclaredLength(bytes[Math.Min(offset, bytes.Length)..]);
                    break;
                case Ipv6NextHeader.AuthenticationHeader:
                    length = offset + 2 <= bytes.Length ? (bytes[offset + 1] + 2) * 4 : 0;
                    break;
                case Ipv6NextHeader.Fragment:
                    length = Ipv6FragmentHeader.Size;
                    if (offset + length <= bytes.Length && (bytes[offset + 2] != 0 || (bytes[offset + 3] & 0xF8) != 0))
                    {
                        // After a non-first fragment header comes data, not a header.
                        return new ChainEnd(false, next, offset, nextFieldOffset);
                    }
                    break;
                default:
                    return new ChainEnd(offset <= bytes.Length, next, offset, nextFieldOffset);
            }
            if (length == 0 || offset + length > bytes.Length)
            {
                return new ChainEnd(false, next, offset, nextFieldOffset);
            }
            nextFieldOffset = offset;
            next = bytes[offset];
            offset += length;
        }
        return new ChainEnd(false, next, offset, nextFieldOffset);
    }

    /// <summary>Walks a whole packet from its IPv6 header (<paramref name="packet"/> starts with it).</summary>
    public static ChainEnd WalkPacket(ReadOnlySpan<byte> packet, int maxHeaders) =>
        packet.Length < Ipv6Header.Size
            ? new ChainEnd(false, 0, 0, 0)
            : Walk(packet, packet[Ipv6Header.NextHeaderOffset], Ipv6Header.Size, Ipv6Header.NextHeaderOffset, maxHeaders);

    /// <summary>
    /// Bytes of the upper-layer header a first fragment must hold for its chain to count as complete
    /// (RFC 7112 section 5): the fixed TCP, UDP or ICMPv6 header, at least one byte of anything else,
    /// nothing after No Next Header.
    /// </summary>
    public static int MinimumUpperLayerBytes(byte protocol) => protocol switch
    {
        TransportProtocolNumber.Tcp => 20,
        TransportProtocolNumber.Udp => 8,
        TransportProtocolNumber.Icmpv6 => Icmpv6Header.Size,
        Ipv6NextHeader.NoNextHeader => 0,
        _ => 1,
    };
}
