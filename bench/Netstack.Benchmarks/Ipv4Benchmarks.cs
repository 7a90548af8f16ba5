using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Network.IPv4;
using Netstack.Stack;

namespace Netstack.Benchmarks;

/// <summary>
/// The IPv4 receive path (packet from the link to the transport endpoint) and send path (header, fragmentation,
/// hand-off to the link), with a link that discards and a transport that only reads ports. Allocated bytes
/// per operation must stay 0.
/// </summary>
[MemoryDiagnoser]
public class Ipv4Benchmarks
{
    private static readonly Address Us = Address.Parse("10.0.0.2");
    private static readonly Address Peer = Address.Parse("10.0.0.1");

    private NetworkStack _stack = null!;
    private Nic _nic = null!;
    private Route _route = null!;
    private byte[] _datagram = null!;
    private byte[][] _fragments = null!;
    private byte[] _echo = null!;

    [GlobalSetup]
    public void Setup()
    {
        _stack = new NetworkStack(new StackOptions
        {
            NetworkProtocols = [s => new Ipv4Protocol(s)],
            TransportProtocols = [_ => new PortsOnlyTransport()],
        });
        _nic = _stack.CreateNic(1, new DiscardEndpoint());
        _stack.AddAddress(1, AddressWithPrefix.Parse("10.0.0.2/24"));
        _stack.Demuxer.Register(17, new TransportEndpointId(7, Address.AnyV4, 0, default), new NullTransportEndpoint());
        _stack.FindRoute(Peer, out var route);
        _route = route!;
        _datagram = Datagram(Peer, Us, 17, Udp(1000), id: 1);
        var big = Datagram(Peer, Us, 17, Udp(4000), id: 2);
        _fragments = [Fragment(big, 0, 1480, true), Fragment(big, 1480, 1480, true), Fragment(big, 2960, 1048, false)];
        _echo = Datagram(Peer, Us, 1, Echo(56), id: 3);
    }

    [GlobalCleanup]
    public void Cleanup() => _stack.Dispose();

    /// <summary>A 1,028-byte UDP datagram from the link to its endpoint (the copy in stands for the link's read).</summary>
    [Benchmark]
    public void Receive()
    {
        var p = PacketBuffer.Rent(0, _datagram);
        _nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, p);
        p.Release();
    }

    /// <summary>A 4,028-byte datagram in three fragments, reassembled and delivered.</summary>
    [Benchmark]
    public void ReceiveThreeFragments()
    {
        foreach (var f in _fragments)
        {
            var p = PacketBuffer.Rent(0, f);
            _nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, p);
            p.Release();
        }
    }

    /// <summary>One 1,008-byte transport packet: IPv4 header pushed and handed to the link.</summary>
    [Benchmark]
    public TcpipError Send()
    {
        var p = PacketBuffer.Rent(_route.MaxHeaderLength, 1008);
        var e = _route.WritePacket(p, new NetworkHeaderParams(17));
        p.Release();
        return e;
    }

    /// <summary>A 4,008-byte transport packet sent as three fragments built from views (no data copy).</summary>
    [Benchmark]
    public TcpipError SendFragmented()
    {
        var p = PacketBuffer.Rent(_route.MaxHeaderLength, 4008);
        var e = _route.WritePacket(p, new NetworkHeaderParams(17));
        p.Release();
        return e;
    }

    /// <summary>An echo request in, its reply out.</summary>
    [Benchmark]
    public void EchoRequestAndReply()
    {
        var p = PacketBuffer.Rent(0, _echo);
        _nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, p);
        p.Release();
    }

    private static byte[] Udp(int payload)
    {
        var b = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(b, 5000);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 7);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)b.Length);
        return b;
    }

    private static byte[] Echo(int payload)
    {
        var b = new byte[8 + payload];
        b[0] = Icmpv4Type.Echo;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), Checksum.Compute(b));
        return b;
    }

    private static byte[] Datagram(Address src, Address dst, byte protocol, byte[] payload, ushort id)
    {
        var b = new byte[20 + payload.Length];
        Ipv4Header.Encode(b, new Ipv4Fields
        {
            TotalLength = (ushort)b.Length, Identification = id, Ttl = 64, Protocol = protocol, Source = src, Destination = dst,
        });
        payload.CopyTo(b.AsSpan(20));
        return b;
    }

    private static byte[] Fragment(byte[] datagram, int offset, int length, bool more)
    {
        var f = new byte[20 + length];
        datagram.AsSpan(0, 20).CopyTo(f);
        datagram.AsSpan(20 + offset, length).CopyTo(f.AsSpan(20));
        Ipv4Header.TryParseQuoted(f, out var h);
        h.SetTotalLength((ushort)f.Length);
        h.SetFlagsAndOffset((ushort)(offset / 8 | (more ? Ipv4Header.MoreFragmentsFlag : 0)));
        h.UpdateChecksum();
        return f;
    }

    private sealed class PortsOnlyTransport : ITransportProtocol
    {
        public byte Number => 17;

        public bool TryParsePorts(PacketBuffer packet, out ushort sourcePort, out ushort destinationPort)
        {
            packet.TryPeekData(4, out var b);
            sourcePort = BinaryPrimitives.ReadUInt16BigEndian(b);
            destinationPort = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
            return true;
        }

        public bool HandleUnmatched(Nic nic, PacketBuffer packet, in TransportEndpointId id) => false;
    }

    private sealed class NullTransportEndpoint : ITransportEndpoint
    {
        public void HandlePacket(Nic nic, in TransportEndpointId id, PacketBuffer packet)
        {
        }

        public void HandleError(in TransportEndpointId id, TransportError error)
        {
        }
    }

    /// <summary>A link that accepts every packet and drops it.</summary>
    private sealed class DiscardEndpoint : ILinkEndpoint
    {
        public int Mtu => 1500;

        public int MaxHeaderLength => 0;

        public LinkAddress LinkAddress => default;

        public LinkCapabilities Capabilities => LinkCapabilities.None;

        public ArpHardwareType ArpHardwareType => ArpHardwareType.None;

        public int GsoMaxSize => 0;

        public bool IsAttached { get; private set; }

        public void Attach(INetworkDispatcher? dispatcher) => IsAttached = dispatcher is not null;

        public void Wait()
        {
        }

        public void AddHeader(PacketBuffer packet)
        {
        }

        public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets) => new(packets.Length, TcpipError.None);

        public void Dispose()
        {
        }
    }
}
