using System.Buffers.Binary;
using System.Collections.Concurrent;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Tests.Transport.Udp;

/// <summary>
/// A minimal IPv4 or IPv6 for UDP unit tests: fixed-size headers (no options, no extension headers, no
/// fragments), accepts what is addressed to the NIC (its addresses, joined groups, broadcast), loops local
/// routes back, and records what it is asked to do (ICMP errors, header parameters) so tests can check the
/// transport's requests without depending on the real network layer.
/// </summary>
internal sealed class FakeIPProtocol : IIPProtocol
{
    private readonly NetworkStack _stack;

    public FakeIPProtocol(NetworkStack stack, ushort number)
    {
        _stack = stack;
        Number = number;
    }

    public ushort Number { get; }

    public int AddressLength => Number == NetworkProtocolNumber.IPv4 ? 4 : 16;

    public int MaxHeaderLength => Number == NetworkProtocolNumber.IPv4 ? 20 : 40;

    public ConcurrentQueue<(IcmpErrorKind Kind, Address Source, Address Destination)> IcmpErrors { get; } = new();

    public NetworkHeaderParams LastParameters { get; private set; }

    public int? PathMtuOverride { get; set; }

    public static Func<NetworkStack, INetworkProtocol> V4 => s => new FakeIPProtocol(s, NetworkProtocolNumber.IPv4);

    public static Func<NetworkStack, INetworkProtocol> V6 => s => new FakeIPProtocol(s, NetworkProtocolNumber.IPv6);

    public void HandlePacket(Nic nic, PacketBuffer packet)
    {
        if (Number == NetworkProtocolNumber.IPv4)
        {
            if (!packet.TryConsumeHeader(HeaderKind.Network, 20, out var h))
            {
                return;
            }
            packet.SourceAddress = Address.ReadV4(h[12..]);
            packet.DestinationAddress = Address.ReadV4(h[16..]);
            packet.TransportProtocol = h[9];
            packet.TrimData(BinaryPrimitives.ReadUInt16BigEndian(h[2..]) - 20);
        }
        else
        {
            if (!packet.TryConsumeHeader(HeaderKind.Network, 40, out var h))
            {
                return;
            }
            packet.SourceAddress = Address.ReadV6(h[8..]);
            packet.DestinationAddress = Address.ReadV6(h[24..]);
            packet.TransportProtocol = h[6];
            packet.TrimData(BinaryPrimitives.ReadUInt16BigEndian(h[4..]));
        }
        var dst = packet.DestinationAddress;
        if (nic.HasAddress(dst) || nic.IsBroadcast(dst) || (dst.IsMulticast && nic.IsInGroup(dst)))
        {
            _stack.DeliverTransportPacket(nic, packet);
        }
    }

    public WriteResult WritePackets(Route route, ReadOnlySpan<PacketBuffer> packets, NetworkHeaderParams parameters)
    {
        LastParameters = parameters;
        foreach (var p in packets)
        {
            int payload = p.Size;
            byte ttl = parameters.Ttl != 0 ? parameters.Ttl : _stack.Options.DefaultTtl;
            if (Number == NetworkProtocolNumber.IPv4)
            {
                var h = p.PushHeader(HeaderKind.Network, 20);
                h.Clear();
                h[0] = 0x45;
                h[1] = parameters.Tos;
                BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)(payload + 20));
                if (parameters.DontFragment)
                {
                    h[6] = 0x40;
                }
                h[8] = ttl;
                h[9] = parameters.Protocol;
                route.LocalAddress.WriteTo(h[12..]);
                route.RemoteAddress.WriteTo(h[16..]);
                BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Compute(h));
            }
            else
            {
                var h = p.PushHeader(HeaderKind.Network, 40);
                h.Clear();
                h[0] = 0x60;
                BinaryPrimitives.WriteUInt16BigEndian(h[4..], (ushort)payload);
                h[6] = parameters.Protocol;
                h[7] = ttl;
                route.LocalAddress.WriteTo(h[8..]);
                route.RemoteAddress.WriteTo(h[24..]);
            }
            p.NetworkProtocol = Number;
        }
        if (route.IsLocal)
        {
            foreach (var p in packets)
            {
                var error = _stack.DeliverLocal(route.Nic, p);
                if (error != TcpipError.None)
                {
                    return new WriteResult(0, error);
                }
            }
            return new WriteResult(packets.Length, TcpipError.None);
        }
        return route.Nic.WritePackets(route.NextHop, Number, route.LocalAddress, packets);
    }

    public int PathMtu(Nic nic, Address destination) => PathMtuOverride ?? nic.Mtu;

    // The assigned address sharing the longest prefix with the destination (enough of RFC 6724 for tests).
    public Address SelectSourceAddress(Nic nic, Address destination)
    {
        Address best = default;
        int bestLength = -1;
        foreach (var a in nic.Addresses)
        {
            if (a.Address.Length == AddressLength && a.AcceptsTraffic && a.Address.CommonPrefixLength(destination) > bestLength)
            {
                best = a.Address;
                bestLength = a.Address.CommonPrefixLength(destination);
            }
        }
        return best;
    }

    public void SendIcmpError(Nic nic, PacketBuffer offending, IcmpErrorKind kind) =>
        IcmpErrors.Enqueue((kind, offending.SourceAddress, offending.DestinationAddress));

    public void OnNicCreated(Nic nic)
    {
    }

    public void OnNicEnabledChanged(Nic nic, bool enabled)
    {
    }

    public void OnNicRemoved(Nic nic)
    {
    }

    public void OnAddressAdding(Nic nic, NicAddress address)
    {
    }

    public void OnAddressRemoved(Nic nic, NicAddress address)
    {
    }
}
