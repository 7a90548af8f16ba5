using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// A minimal IPv4 for TCP unit tests (no options, no fragments, no ICMP): enough to carry segments over a
/// ChannelEndpoint until the real IPv4 is used. It records the ICMP errors it was asked to send.
/// </summary>
internal sealed class TestIPv4 : IIPProtocol
{
    private readonly NetworkStack _stack;

    public TestIPv4(NetworkStack stack) => _stack = stack;

    public ushort Number => NetworkProtocolNumber.IPv4;

    public int AddressLength => 4;

    public int MaxHeaderLength => 20;

    public int? PathMtuOverride { get; set; }

    public int IcmpErrorsRequested;

    public void HandlePacket(Nic nic, PacketBuffer packet)
    {
        if (!packet.TryConsumeHeader(HeaderKind.Network, 20, out var h) || h[0] != 0x45)
        {
            return;
        }
        int total = BinaryPrimitives.ReadUInt16BigEndian(h[2..]);
        if (total < 20 || total - 20 > packet.DataSize)
        {
            return;
        }
        packet.TrimData(total - 20);
        packet.TransportProtocol = h[9];
        packet.SourceAddress = Address.ReadV4(h[12..]);
        packet.DestinationAddress = Address.ReadV4(h[16..]);
        if (nic.HasAddress(packet.DestinationAddress))
        {
            _stack.DeliverTransportPacket(nic, packet);
        }
    }

    public WriteResult WritePackets(Route route, ReadOnlySpan<PacketBuffer> packets, NetworkHeaderParams parameters)
    {
        foreach (var p in packets)
        {
            int total = p.Size + 20;
            var h = p.PushHeader(HeaderKind.Network, 20);
            h.Clear();
            h[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)Math.Min(total, 65535));
            if (parameters.DontFragment)
            {
                h[6] = 0x40;
            }
            h[8] = 64;
            h[9] = parameters.Protocol;
            route.LocalAddress.WriteTo(h[12..]);
            route.RemoteAddress.WriteTo(h[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Compute(h));
            p.NetworkProtocol = Number;
        }
        if (route.IsLocal)
        {
            foreach (var p in packets)
            {
                _stack.DeliverLocal(route.Nic, p);
            }
            return new WriteResult(packets.Length, TcpipError.None);
        }
        return route.Nic.WritePackets(route.NextHop, Number, route.LocalAddress, packets);
    }

    public int PathMtu(Nic nic, Address destination) => PathMtuOverride ?? nic.Mtu;

    public Address SelectSourceAddress(Nic nic, Address destination)
    {
        foreach (var a in nic.Addresses)
        {
            if (a.Address.IsV4)
            {
                return a.Address;
            }
        }
        return default;
    }

    public void SendIcmpError(Nic nic, PacketBuffer offending, IcmpErrorKind kind) => Interlocked.Increment(ref IcmpErrorsRequested);

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
