using System.Buffers;
using System.Security.Cryptography;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Network.IPv6;

// The send path: the fixed header, fragmentation above the path MTU, local delivery, NIC batches.
public sealed partial class Ipv6Protocol
{
    /// <inheritdoc/>
    /// <remarks>
    /// Packets that fit the path MTU (or carry GSO) get the 40-byte header pushed in place and go to the NIC
    /// as one batch. A larger packet is split into fragments (RFC 8200 section 4.5) that share its buffers
    /// (no copy) unless <see cref="NetworkHeaderParams.DontFragment"/> is set (IPV6_DONTFRAG), which fails with
    /// <see cref="TcpipError.MessageTooLong"/>.
    /// </remarks>
    public WriteResult WritePackets(Route route, ReadOnlySpan<PacketBuffer> packets, NetworkHeaderParams parameters)
    {
        ArgumentNullException.ThrowIfNull(route);
        int mtu = route.Mtu;
        byte hopLimit = parameters.Ttl != 0
            ? parameters.Ttl
            : route.RemoteAddress.IsMulticast ? Options.MulticastHopLimit : Stack.Options.DefaultTtl;
        int runStart = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            var packet = packets[i];
            int payloadLength = packet.Size;
            if (payloadLength > ushort.MaxValue)
            {
                // Jumbograms (RFC 2675) are not supported.
                var flushed = Transmit(route, packets[runStart..i]);
                Stats.DroppedSendTooBig.Increment();
                return flushed.Ok ? new WriteResult(i, TcpipError.MessageTooLong) : Offset(flushed, runStart);
            }
            if (payloadLength + Ipv6Header.Size <= mtu || packet.Gso.Type != GsoType.None)
            {
                Ipv6Header.Encode(packet.PushHeader(HeaderKind.Network, Ipv6Header.Size), payloadLength, parameters.Protocol,
                    hopLimit, route.LocalAddress, route.RemoteAddress, parameters.Tos, FlowLabel(packet));
                // Set before the NIC sees it: a packet queued for neighbour resolution keeps it.
                packet.NetworkProtocol = NetworkProtocolNumber.IPv6;
                packet.SourceAddress = route.LocalAddress;
                packet.DestinationAddress = route.RemoteAddress;
                packet.TransportProtocol = parameters.Protocol;
                continue;
            }
            var before = Transmit(route, packets[runStart..i]);
            if (!before.Ok)
            {
                return Offset(before, runStart);
            }
            if (parameters.DontFragment)
            {
                Stats.DroppedSendTooBig.Increment();
                return new WriteResult(i, TcpipError.MessageTooLong);
            }
            var error = SendFragments(route, packet, parameters.Protocol, hopLimit, parameters.Tos, mtu);
            if (error != TcpipError.None)
            {
                return new WriteResult(i, error);
            }
            runStart = i + 1;
        }
        return Offset(Transmit(route, packets[runStart..]), runStart);
    }

    private static WriteResult Offset(WriteResult result, int start) => new(start + result.Written, result.Error);

    // Hands packets whose network header is in place to the NIC as one batch, or loops them back.
    private WriteResult Transmit(Route route, ReadOnlySpan<PacketBuffer> packets)
    {
        if (packets.IsEmpty)
        {
            return default;
        }
        if (route.IsLocal)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                packets[i].NetworkProtocol = NetworkProtocolNumber.IPv6;
                var error = Stack.DeliverLocal(route.Nic, packets[i]);
                if (error != TcpipError.None)
                {
                    Stats.SendErrors.Add(packets.Length - i);
                    return new WriteResult(i, error);
                }
                Stats.PacketsSent.Increment();
            }
            return new WriteResult(packets.Length, TcpipError.None);
        }
        var result = route.Nic.WritePackets(route.NextHop, NetworkProtocolNumber.IPv6, route.LocalAddress, packets);
        Stats.PacketsSent.Add(result.Written);
        if (!result.Ok)
        {
            Stats.SendErrors.Add(packets.Length - result.Written);
        }
        return result;
    }

    private TcpipError SendFragments(Route route, PacketBuffer packet, byte protocol, byte hopLimit, byte trafficClass, int mtu)
    {
        // Every fragment but the last carries a multiple of 8 bytes (RFC 8200 section 4.5).
        int perFragment = (mtu - Ipv6Header.Size - Ipv6FragmentHeader.Size) & ~7;
        if (perFragment < 8)
        {
            Stats.DroppedSendTooBig.Increment();
            return TcpipError.MessageTooLong;
        }
        FragmentBuilder.FinishChecksum(packet);
        int total = packet.Size;
        int count = (total + perFragment - 1) / perFragment;
        uint identification = NewIdentification();
        int headroom = route.Nic.Link.MaxHeaderLength + Ipv6Header.Size + Ipv6FragmentHeader.Size;
        var fragments = ArrayPool<PacketBuffer>.Shared.Rent(count);
        fragments.AsSpan(0, count).Clear();
        try
        {
            for (int k = 0; k < count; k++)
            {
                int offset = k * perFragment;
                int length = Math.Min(perFragment, total - offset);
                var fragment = FragmentBuilder.Rent(packet, offset, length, headroom);
                var header = fragment.PushHeader(HeaderKind.Network, Ipv6Header.Size + Ipv6FragmentHeader.Size);
                Ipv6Header.Encode(header, Ipv6FragmentHeader.Size + length, Ipv6NextHeader.Fragment, hopLimit,
                    route.LocalAddress, route.RemoteAddress, trafficClass, FlowLabel(packet));
                Ipv6FragmentHeader.Encode(header[Ipv6Header.Size..], protocol, offset, offset + length < total, identification);
                fragment.NetworkProtocol = NetworkProtocolNumber.IPv6;
                fragment.SourceAddress = route.LocalAddress;
                fragment.DestinationAddress = route.RemoteAddress;
                fragments[k] = fragment;
            }
            var result = Transmit(route, fragments.AsSpan(0, count));
            if (result.Ok)
            {
                Stats.PacketsFragmented.Increment();
                Stats.FragmentsSent.Add(count);
            }
            return result.Error;
        }
        finally
        {
            for (int k = 0; k < count; k++)
            {
                fragments[k]?.Release();
                fragments[k] = null!;
            }
            ArrayPool<PacketBuffer>.Shared.Return(fragments);
        }
    }

    // RFC 6437: the transport's flow hash labels the flow (Linux's auto_flowlabels); 0 when it set none.
    private static int FlowLabel(PacketBuffer packet) => (int)(packet.Hash & 0xF_FFFF);

    // RFC 7739: identifications must not be predictable (they would let a third party forge fragments).
    private static uint NewIdentification()
    {
        Span<byte> bytes = stackalloc byte[4];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt32(bytes);
    }
}
