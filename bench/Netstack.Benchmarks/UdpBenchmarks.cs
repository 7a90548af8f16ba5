using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Link.Channel;
using Netstack.Network.IPv4;
using Netstack.Sockets;
using Netstack.Stack;

namespace Netstack.Benchmarks;

/// <summary>
/// UDP through the real IPv4 over the in-memory link, up to and down from a <see cref="UdpSocket"/>: receive
/// (link → IPv4 → UDP → queue → the application's buffer) and send (buffer → UDP → IPv4 → link). The packet
/// path must allocate nothing; the rows with an <see cref="EndPoint"/> show what that part of the .NET API
/// costs (the endpoint object, as with <see cref="Socket"/>).
/// </summary>
[MemoryDiagnoser]
public class UdpBenchmarks
{
    private static readonly Address Us = Address.Parse("10.0.0.2");
    private static readonly Address Peer = Address.Parse("10.0.0.1");

    private NetworkStack _stack = null!;
    private ChannelEndpoint _link = null!;
    private Nic _nic = null!;
    private UdpSocket _server = null!;
    private UdpSocket _client = null!;
    private UdpSocket _connected = null!;
    private byte[] _datagram = null!;
    private byte[] _payload = null!;
    private byte[] _buffer = null!;
    private SocketAddress _from = null!;
    private SocketAddress _toAddress = null!;
    private IPEndPoint _toEndPoint = null!;

    /// <summary>UDP payload bytes.</summary>
    [Params(64, 1400)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stack = new NetworkStack(new StackOptions { NetworkProtocols = [s => new Ipv4Protocol(s)] });
        _link = new ChannelEndpoint(1500);
        _nic = _stack.CreateNic(1, _link);
        _stack.AddAddress(1, AddressWithPrefix.Parse("10.0.0.2/24"));
        _server = new UdpSocket(_stack, new IPEndPoint(IPAddress.Any, 7));
        _client = new UdpSocket(_stack, new IPEndPoint(IPAddress.Any, 40000));
        _connected = new UdpSocket(_stack);
        _connected.Connect(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 9));
        _payload = new byte[PayloadSize];
        _buffer = new byte[2048];
        _datagram = Datagram(PayloadSize);
        _from = new SocketAddress(AddressFamily.InterNetwork);
        _toEndPoint = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 9);
        _toAddress = _toEndPoint.Serialize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _server.Dispose();
        _client.Dispose();
        _connected.Dispose();
        _stack.Dispose();
        _link.Dispose();
    }

    /// <summary>A datagram from the link (copied in, as a link read would) into a queue, then read with a reused SocketAddress.</summary>
    [Benchmark]
    public int ReceiveFromSocketAddress()
    {
        Inject();
        return _server.ReceiveFromAsync(_buffer, SocketFlags.None, _from).GetAwaiter().GetResult();
    }

    /// <summary>The same, read as a <see cref="SocketReceiveFromResult"/> (allocates the sender's IPEndPoint).</summary>
    [Benchmark]
    public int ReceiveFromEndPoint()
    {
        Inject();
        return _server.ReceiveFromAsync(_buffer).GetAwaiter().GetResult().ReceivedBytes;
    }

    /// <summary>A receive waiting first: the datagram is handed to it straight from the receive path.</summary>
    [Benchmark]
    public int ReceiveHandOff()
    {
        var pending = _server.ReceiveFromAsync(_buffer, SocketFlags.None, _from);
        Inject();
        return pending.GetAwaiter().GetResult();
    }

    /// <summary>A datagram to a reused SocketAddress, through UDP and IPv4 to the link (then dropped there).</summary>
    [Benchmark]
    public int SendToSocketAddress()
    {
        int n = _client.SendTo(_payload, SocketFlags.None, _toAddress);
        DrainOne();
        return n;
    }

    /// <summary>The same to an <see cref="IPEndPoint"/> (converted per call).</summary>
    [Benchmark]
    public int SendToEndPoint()
    {
        int n = _client.SendTo(_payload, _toEndPoint);
        DrainOne();
        return n;
    }

    /// <summary>A datagram on a connected socket, through the async API (completes synchronously).</summary>
    [Benchmark]
    public int SendConnectedAsync()
    {
        int n = _connected.SendAsync(_payload).GetAwaiter().GetResult();
        DrainOne();
        return n;
    }

    private void Inject()
    {
        var p = PacketBuffer.Rent(0, _datagram);
        _nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, p);
        p.Release();
    }

    private void DrainOne() => _link.TryReadOutbound()?.Release();

    // An IPv4 packet from 10.0.0.1:9 to 10.0.0.2:7 with valid checksums.
    private static byte[] Datagram(int payload)
    {
        var packet = new byte[20 + 8 + payload];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 17;
        Peer.WriteTo(packet.AsSpan(12));
        Us.WriteTo(packet.AsSpan(16));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum.Compute(packet.AsSpan(0, 20)));
        var udp = packet.AsSpan(20);
        UdpHeader.Encode(udp, 9, 7, (ushort)udp.Length, 0);
        ushort sum = Checksum.Compute(udp, Checksum.PseudoHeaderSum(Peer, Us, 17, udp.Length));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], sum == 0 ? (ushort)0xFFFF : sum);
        return packet;
    }
}
