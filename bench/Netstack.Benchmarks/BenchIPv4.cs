using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Benchmarks;

/// <summary>The least IPv4 that carries TCP between two in-memory stacks, so TCP's own cost is what is measured.</summary>
internal sealed class BenchIPv4 : IIPProtocol
{
    private readonly NetworkStack _stack;

    public BenchIPv4(NetworkStack stack) => _stack = stack;

    public ushort Number => NetworkProtocolNumber.IPv4;

    public int AddressLength => 4;

    public int MaxHeaderLength => 20;

    public void HandlePacket(Nic nic, PacketBuffer packet)
    {
        if (!packet.TryConsumeHeader(HeaderKind.Network, 20, out var h))
        {
            return;
        }
        packet.TrimData(BinaryPrimitives.ReadUInt16BigEndian(h[2..]) - 20);
        packet.TransportProtocol = h[9];
        packet.SourceAddress = Address.ReadV4(h[12..]);
        packet.DestinationAddress = Address.ReadV4(h[16..]);
        _stack.DeliverTransportPacket(nic, packet);
    }

    public WriteResult WritePackets(Route route, ReadOnlySpan<PacketBuffer> packets, NetworkHeaderParams parameters)
    {
        foreach (var p in packets)
        {
            int total = p.Size + 20;
            var h = p.PushHeader(HeaderKind.Network, 20);
            h.Clear();
            h[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)total);
            h[8] = 64;
            h[9] = parameters.Protocol;
            route.LocalAddress.WriteTo(h[12..]);
            route.RemoteAddress.WriteTo(h[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Compute(h));
        }
        return route.Nic.WritePackets(route.NextHop, Number, route.LocalAddress, packets);
    }

    public int PathMtu(Nic nic, Address destination) => nic.Mtu;

    public Address SelectSourceAddress(Nic nic, Address destination) => nic.Addresses[0].Address;

    public void SendIcmpError(Nic nic, PacketBuffer offending, IcmpErrorKind kind)
    {
    }

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
