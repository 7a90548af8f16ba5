using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Network.IPv6;
using Netstack.Stack;

namespace Netstack.Benchmarks;

/// <summary>
/// The IPv6 receive and send paths of one stack on an Ethernet link that discards what it is given:
/// a UDP datagram up to a bound endpoint, one down through a route, with extension headers, fragmented,
/// reassembled, and an echo request answered. Allocated bytes per operation is the figure to watch.
/// </summary>
[MemoryDiagnoser]
public class Ipv6Benchmarks
{
    private static readonly Address Local = Address.Parse("fd00::1");
    private static readonly Address Remote = Address.Parse("fd00::2");

    private NetworkStack _stack = null!;
    private Nic _nic = null!;
    private Route _route = null!;
    private byte[] _udpPacket = null!;
    private byte[] _udpWithOptions = null!;
    private byte[] _udpSegment = null!;
    private byte[] _largeSegment = null!;
    private byte[] _echo = null!;
    private byte[][] _fragments = null!;

    [GlobalSetup]
    public void Setup()
    {
        var sink = new SinkTransport();
        _stack = new NetworkStack(new StackOptions
        {
            NetworkProtocols = [Ipv6Protocol.Factory(new Ipv6Options { DupAddrDetectTransmits = 0, MaxRouterSolicitations = 0 })],
            TransportProtocols = [_ => sink],
        });
        _nic = _stack.CreateNic(1, new SinkLink());
        _stack.AddAddress(1, AddressWithPrefix.Parse("fd00::1/64"));
        _nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.AddStatic(Remote, LinkAddress.Parse("02:00:00:00:00:02"));
        _stack.Demuxer.Register(17, new TransportEndpointId(7, Address.AnyV6, 0, default), sink);
        _stack.FindRoute(Remote, out var route);
        _route = route!;

        _udpSegment = Udp(Local, Remote, new byte[64]);
        _largeSegment = Udp(Local, Remote, new byte[4000]);
        var inbound = Udp(Remote, Local, new byte[64]);
        _udpPacket = Ip(17, inbound);
        // Hop-by-hop (router alert) and destination options (an unknown option to skip) before UDP.
        _udpWithOptions = Ip(0, [60, 0, 5, 2, 0, 0, 1, 0, 17, 0, 0x1E, 4, 0, 0, 0, 0, .. inbound]);
        var echo = new byte[8 + 56];
        echo[0] = 128;
        BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(2), Checksum.Compute(echo, Checksum.PseudoHeaderSum(Remote, Local, 58, echo.Length)));
        _echo = Ip(58, echo);
        var big = Udp(Remote, Local, new byte[3000]);
        _fragments = new byte[3][];
        for (int i = 0; i < 3; i++)
        {
            int offset = i * 1232;
            int length = Math.Min(1232, big.Length - offset);
            byte[] fragment = [17, 0, (byte)(offset >> 8), (byte)(offset | (i < 2 ? 1 : 0)), 0, 0, 0, 9];
            _fragments[i] = Ip(44, [.. fragment, .. big.AsSpan(offset, length)]);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _stack.Dispose();

    [Benchmark]
    public void ReceiveUdp() => Receive(_udpPacket);

    [Benchmark]
    public void ReceiveUdpWithExtensionHeaders() => Receive(_udpWithOptions);

    [Benchmark]
    public void ReceiveThreeFragments()
    {
        foreach (var f in _fragments)
        {
            Receive(f);
        }
    }

    [Benchmark]
    public void EchoRequestToReply() => Receive(_echo);

    [Benchmark]
    public TcpipError SendUdp() => Send(_udpSegment);

    [Benchmark]
    public TcpipError SendFragmented() => Send(_largeSegment);

    private void Receive(byte[] bytes)
    {
        var packet = PacketBuffer.Rent(0, bytes);
        _nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv6, packet);
        packet.Release();
    }

    private TcpipError Send(byte[] segment)
    {
        var packet = PacketBuffer.Rent(_route.MaxHeaderLength, segment);
        var error = _route.WritePacket(packet, new NetworkHeaderParams(17));
        packet.Release();
        return error;
    }

    private static byte[] Ip(byte next, byte[] payload)
    {
        var p = new byte[40 + payload.Length];
        Ipv6Header.Encode(p, payload.Length, next, 64, Remote, Local);
        payload.CopyTo(p, 40);
        return p;
    }

    private static byte[] Udp(Address source, Address destination, byte[] data)
    {
        var u = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(u, 5000);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(2), 7);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(4), (ushort)u.Length);
        data.CopyTo(u, 8);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(6), Checksum.Compute(u, Checksum.PseudoHeaderSum(source, destination, 17, u.Length)));
        return u;
    }

    /// <summary>An Ethernet link that frames and drops every packet.</summary>
    private sealed class SinkLink : ILinkEndpoint
    {
        public int Mtu => 1500;

        public int MaxHeaderLength => EthernetHeader.Size;

        public LinkAddress LinkAddress { get; } = LinkAddress.Parse("02:00:00:00:00:01");

        public LinkCapabilities Capabilities => LinkCapabilities.ResolutionRequired;

        public ArpHardwareType ArpHardwareType => ArpHardwareType.Ether;

        public int GsoMaxSize => 0;

        public bool IsAttached { get; private set; }

        public void Attach(INetworkDispatcher? dispatcher) => IsAttached = dispatcher is not null;

        public void Wait()
        {
        }

        public void AddHeader(PacketBuffer packet) =>
            EthernetHeader.Encode(packet.PushHeader(HeaderKind.Link, EthernetHeader.Size), packet.RemoteLinkAddress, LinkAddress, packet.NetworkProtocol);

        public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets)
        {
            foreach (var p in packets)
            {
                AddHeader(p);
            }
            return new WriteResult(packets.Length, TcpipError.None);
        }

        public void Dispose()
        {
        }
    }

    /// <summary>A transport (protocol 17) whose bound endpoint takes every packet and keeps none.</summary>
    private sealed class SinkTransport : ITransportProtocol, ITransportEndpoint
    {
        public byte Number => 17;

        public long Received { get; private set; }

        public bool TryParsePorts(PacketBuffer packet, out ushort sourcePort, out ushort destinationPort)
        {
            sourcePort = destinationPort = 0;
            if (!packet.TryPeekData(4, out var b))
            {
                return false;
            }
            sourcePort = BinaryPrimitives.ReadUInt16BigEndian(b);
            destinationPort = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
            return true;
        }

        public bool HandleUnmatched(Nic nic, PacketBuffer packet, in TransportEndpointId id) => false;

        public void HandlePacket(Nic nic, in TransportEndpointId id, PacketBuffer packet) => Received++;

        public void HandleError(in TransportEndpointId id, TransportError error)
        {
        }
    }
}
