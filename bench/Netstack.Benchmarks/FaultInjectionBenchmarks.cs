using BenchmarkDotNet.Attributes;
using Netstack.Buffers;
using Netstack.Link.FaultInjection;
using Netstack.Stack;

namespace Netstack.Benchmarks;

/// <summary>
/// What the fault injector costs per packet: a bare sink link, the wrapper with no faults (must cost almost
/// nothing and allocate nothing), and the wrapper with a 1% drop (the decision path, taken for every packet).
/// </summary>
[MemoryDiagnoser]
public class FaultInjectionBenchmarks
{
    private readonly PacketBuffer[] _packet = new PacketBuffer[1];
    private SinkEndpoint _bare = null!;
    private FaultInjectingEndpoint _none = null!;
    private FaultInjectingEndpoint _drop = null!;
    private SinkEndpoint _noneInner = null!;
    private SinkEndpoint _dropInner = null!;
    private readonly SinkDispatcher _dispatcher = new();

    [GlobalSetup]
    public void Setup()
    {
        _packet[0] = PacketBuffer.Rent(64, new byte[1500]);
        _packet[0].NetworkProtocol = NetworkProtocolNumber.IPv4;
        _bare = new SinkEndpoint();
        _noneInner = new SinkEndpoint();
        _dropInner = new SinkEndpoint();
        _none = new FaultInjectingEndpoint(_noneInner, FaultOptions.None);
        _drop = new FaultInjectingEndpoint(_dropInner, FaultOptions.Parse("drop=1%,seed=1"));
        _bare.Attach(_dispatcher);
        _none.Attach(_dispatcher);
        _drop.Attach(_dispatcher);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _none.Dispose();
        _drop.Dispose();
        _packet[0].Release();
    }

    [Benchmark(Baseline = true)]
    public int WriteBare() => _bare.WritePackets(_packet).Written;

    [Benchmark]
    public int WriteNoFaults() => _none.WritePackets(_packet).Written;

    [Benchmark]
    public int WriteDrop1Percent() => _drop.WritePackets(_packet).Written;

    [Benchmark]
    public void ReceiveBare() => _bare.Receive(_packet[0]);

    [Benchmark]
    public void ReceiveNoFaults() => _noneInner.Receive(_packet[0]);

    [Benchmark]
    public void ReceiveDrop1Percent() => _dropInner.Receive(_packet[0]);

    /// <summary>A link that accepts every packet and forgets it, and delivers on demand.</summary>
    private sealed class SinkEndpoint : ILinkEndpoint
    {
        private INetworkDispatcher? _dispatcher;

        public int Mtu => 1500;

        public int MaxHeaderLength => 0;

        public LinkAddress LinkAddress => default;

        public LinkCapabilities Capabilities => LinkCapabilities.None;

        public ArpHardwareType ArpHardwareType => ArpHardwareType.None;

        public int GsoMaxSize => 0;

        public bool IsAttached => _dispatcher is not null;

        public long Written { get; private set; }

        public void Attach(INetworkDispatcher? dispatcher) => _dispatcher = dispatcher;

        public void Wait()
        {
        }

        public void AddHeader(PacketBuffer packet)
        {
        }

        public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets)
        {
            Written += packets.Length;
            return new WriteResult(packets.Length, TcpipError.None);
        }

        public void Receive(PacketBuffer packet) => _dispatcher!.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, packet);

        public void Dispose()
        {
        }
    }

    private sealed class SinkDispatcher : INetworkDispatcher
    {
        public long Count;

        public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet) => Count++;
    }
}
