using System.Net;
using BenchmarkDotNet.Attributes;
using Netstack.Buffers;
using Netstack.Link.Channel;
using Netstack.Sockets;
using Netstack.Stack;
using Netstack.Transport.Tcp;

namespace Netstack.Benchmarks;

/// <summary>
/// TCP segment processing between two stacks on in-memory links, pumped by the benchmark thread (no link
/// threads): one op sends a segment, delivers it, delivers the ACK that comes back, and reads the data.
/// Allocations must be zero.
/// </summary>
[MemoryDiagnoser]
public class TcpSegmentBenchmarks
{
    private readonly byte[] _segment = new byte[1448];
    private readonly byte[] _bulk = new byte[64 * 1024];
    private readonly byte[] _readBuffer = new byte[256 * 1024];
    private NetworkStack _a = null!;
    private NetworkStack _b = null!;
    private ChannelEndpoint _linkA = null!;
    private ChannelEndpoint _linkB = null!;
    private TcpConnection _client = null!;
    private TcpConnection _server = null!;
    private Netstack.Sockets.TcpListener _listener = null!;

    [GlobalSetup]
    public void Setup()
    {
        _a = NewStack(Address.V4(10, 0, 0, 1), out _linkA);
        _b = NewStack(Address.V4(10, 0, 0, 2), out _linkB);
        _listener = new Netstack.Sockets.TcpListener(_b, IPAddress.Any, 5000, new TcpConnectionSettings { NoDelay = true });
        _listener.Start();
        var accept = _listener.AcceptAsync();
        var connect = TcpConnection.ConnectAsync(_a, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5000), new TcpConnectionSettings { NoDelay = true });
        while (!connect.IsCompleted || !accept.IsCompleted)
        {
            Pump();
            Thread.Sleep(1);
        }
        _client = connect.Result;
        _server = accept.Result;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Abort();
        _server.Abort();
        _listener.Stop();
        _a.Dispose();
        _b.Dispose();
    }

    /// <summary>One MSS-sized segment end to end: send, receive, acknowledge, read.</summary>
    [Benchmark]
    public int OneSegment()
    {
        var write = _client.WriteAsync(_segment);
        write.GetAwaiter().GetResult();
        Pump();
        return Drain();
    }

    /// <summary>64 KiB: 46 segments in a batch, their ACKs, and the reads.</summary>
    [Benchmark]
    public int Bulk64K()
    {
        var write = _client.WriteAsync(_bulk);
        write.GetAwaiter().GetResult();
        int total = 0;
        while (total < _bulk.Length)
        {
            Pump();
            total += Drain();
        }
        Pump();
        return total;
    }

    private int Drain()
    {
        int total = 0;
        while (_server.GetStatistics().ReceiveQueueLength > 0)
        {
            var read = _server.ReadAsync(_readBuffer);
            total += read.GetAwaiter().GetResult();
        }
        return total;
    }

    private void Pump()
    {
        bool moved = true;
        while (moved)
        {
            moved = Move(_linkA, _linkB) | Move(_linkB, _linkA);
        }
    }

    private static bool Move(ChannelEndpoint from, ChannelEndpoint to)
    {
        bool any = false;
        while (from.TryReadOutbound() is { } frame)
        {
            any = true;
            // A receive-shaped copy, as a link hands the stack (ChannelLink does the same).
            var copy = PacketBuffer.Rent(0, frame.Size);
            copy.TryGetContiguousData(out var bytes);
            frame.CopyTo(bytes);
            frame.Release();
            to.InjectFrame(copy);
            copy.Release();
        }
        return any;
    }

    private static NetworkStack NewStack(Address address, out ChannelEndpoint link)
    {
        var stack = new NetworkStack(new StackOptions
        {
            NetworkProtocols = [s => new Netstack.Network.IPv4.Ipv4Protocol(s)],
            TransportProtocols = [s => new TcpProtocol(s)],
        });
        link = new ChannelEndpoint(1500, capacity: 8192);
        stack.CreateNic(1, link);
        stack.AddAddress(1, new AddressWithPrefix(address, 24));
        return stack;
    }
}
