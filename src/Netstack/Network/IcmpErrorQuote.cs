using Netstack.Buffers;

namespace Netstack.Network;

/// <summary>
/// What an ICMP error quotes of the packet it answers (RFC 792; RFC 1812 section 4.3.2.3; RFC 4443 section
/// 2.4 (c)): the packet from its network header on (the transport header and data after it), cut at a limit.
/// </summary>
internal static class IcmpErrorQuote
{
    /// <summary>
    /// A new packet whose data is the start of <paramref name="offending"/> (a received packet: network header,
    /// then any transport header, then data), at most <paramref name="maxBytes"/>, with <paramref name="headroom"/>
    /// free in front for the ICMP header and everything below it.
    /// </summary>
    public static PacketBuffer Rent(PacketBuffer offending, int maxBytes, int headroom)
    {
        var network = offending.NetworkHeader;
        var transport = offending.TransportHeader;
        int length = Math.Min(maxBytes, network.Length + transport.Length + offending.DataSize);
        var packet = PacketBuffer.Rent(headroom, length);
        packet.TryGetContiguousData(out var body);
        int n = Math.Min(network.Length, length);
        network[..n].CopyTo(body);
        int t = Math.Min(transport.Length, length - n);
        transport[..t].CopyTo(body[n..]);
        offending.CopyDataTo(0, body[(n + t)..]);
        return packet;
    }
}
