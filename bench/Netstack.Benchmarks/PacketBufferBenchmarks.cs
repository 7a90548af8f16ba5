using BenchmarkDotNet.Attributes;
using Netstack.Buffers;
using Netstack.Headers;

namespace Netstack.Benchmarks;

/// <summary>Costs of the buffer primitives every packet pays: rent, push headers, checksum, release.</summary>
[MemoryDiagnoser]
public class PacketBufferBenchmarks
{
    private readonly byte[] _payload = new byte[1460];

    [Benchmark]
    public int RentPushRelease()
    {
        var pkt = PacketBuffer.Rent(128, _payload);
        pkt.PushHeader(HeaderKind.Transport, 20);
        pkt.PushHeader(HeaderKind.Network, 20);
        pkt.PushHeader(HeaderKind.Link, 14);
        int size = pkt.Size;
        pkt.Release();
        return size;
    }

    [Benchmark]
    public ushort Checksum1460() => Checksum.Sum(_payload);
}
