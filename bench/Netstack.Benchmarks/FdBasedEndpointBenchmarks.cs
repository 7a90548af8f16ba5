using BenchmarkDotNet.Attributes;
using Netstack.Buffers;
using Netstack.Interop;
using Netstack.Link.FdBased;
using Netstack.Stack;

namespace Netstack.Benchmarks;

/// <summary>
/// The endpoint's send and receive paths over an AF_UNIX datagram socketpair, 32 packets an operation.
/// Allocated bytes must be 0: BenchmarkDotNet counts every thread's allocations, the reader's included.
/// </summary>
[MemoryDiagnoser]
public unsafe class FdBasedEndpointBenchmarks
{
    private const int Batch = 32;
    private int _local;
    private int _peer;
    private int _receiveLocal;
    private int _receivePeer;
    private FdBasedEndpoint _endpoint = null!;
    private FdBasedEndpoint _receiver = null!;
    private PacketBuffer[] _packets = null!;
    private NativeTraffic _traffic = null!;
    private Counter _counter = null!;
    private long _expected;

    [Params(64, 1500)]
    public int Size { get; set; }

    [Params(PacketDispatchMode.Readv, PacketDispatchMode.RecvMmsg)]
    public PacketDispatchMode Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int* fds = stackalloc int[2];
        SocketNative.SocketPair(SocketNative.AF_UNIX, SocketNative.SOCK_DGRAM | SocketNative.SOCK_CLOEXEC, 0, fds);
        _local = fds[0];
        _peer = fds[1];
        SocketNative.SetInt(_peer, SocketNative.SOL_SOCKET, SocketNative.SO_SNDBUFFORCE, 4 << 20);
        SocketNative.SetInt(_local, SocketNative.SOL_SOCKET, SocketNative.SO_SNDBUFFORCE, 4 << 20);
        _endpoint = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [_local] });
        SocketNative.SocketPair(SocketNative.AF_UNIX, SocketNative.SOCK_DGRAM | SocketNative.SOCK_CLOEXEC, 0, fds);
        _receiveLocal = fds[0];
        _receivePeer = fds[1];
        SocketNative.SetInt(_receivePeer, SocketNative.SOL_SOCKET, SocketNative.SO_SNDBUFFORCE, 4 << 20);
        _receiver = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [_receiveLocal], PacketDispatchMode = Mode });
        _counter = new Counter();
        _receiver.Attach(_counter);
        _packets = new PacketBuffer[Batch];
        var payload = new byte[Size];
        payload[0] = 0x45;
        for (int i = 0; i < Batch; i++)
        {
            _packets[i] = PacketBuffer.Rent(64, payload);
        }
        _traffic = new NativeTraffic(Batch, Size);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _endpoint.Dispose();
        _receiver.Dispose();
        foreach (var p in _packets)
        {
            p.Release();
        }
        _traffic.Dispose();
        FileNative.Close(_local);
        FileNative.Close(_peer);
        FileNative.Close(_receiveLocal);
        FileNative.Close(_receivePeer);
    }

    /// <summary>WritePackets of 32 packets (one sendmmsg), then the peer drains them.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int Send()
    {
        var result = _endpoint.WritePackets(_packets);
        return result.Written + _traffic.Drain(_peer, Batch);
    }

    /// <summary>The peer sends 32 datagrams; the endpoint's reader delivers them.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long Receive()
    {
        _traffic.Send(_receivePeer);
        _expected += Batch;
        while (Volatile.Read(ref _counter.Count) < _expected)
        {
            Thread.SpinWait(20);
        }
        return _expected;
    }

    private sealed class Counter : INetworkDispatcher
    {
        public long Count;

        public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet) => Interlocked.Increment(ref Count);
    }
}
