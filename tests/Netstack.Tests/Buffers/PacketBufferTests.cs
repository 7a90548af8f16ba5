using Netstack.Buffers;

namespace Netstack.Tests.Buffers;

public class PacketBufferTests
{
    private readonly ChunkPool _pool = new();

    private static byte[] Bytes(int n, int seed = 0) => Enumerable.Range(seed, n).Select(i => (byte)i).ToArray();

    [Fact]
    public void PushedHeadersComeFirstInPushOrderReversed()
    {
        var pkt = PacketBuffer.Rent(64, Bytes(10, 100), _pool);
        pkt.PushHeader(HeaderKind.Transport, 8).Fill(3);
        pkt.PushHeader(HeaderKind.Network, 20).Fill(2);
        pkt.PushHeader(HeaderKind.Link, 14).Fill(1);

        Assert.Equal(52, pkt.Size);
        Assert.Equal(42, pkt.HeaderSize);
        Assert.Equal(10, pkt.DataSize);
        Assert.Equal(14, pkt.LinkHeader.Length);
        Assert.All(pkt.NetworkHeader.ToArray(), b => Assert.Equal(2, b));
        Assert.All(pkt.TransportHeader.ToArray(), b => Assert.Equal(3, b));
        var all = pkt.ToArray();
        Assert.Equal(1, all[0]);
        Assert.Equal(2, all[14]);
        Assert.Equal(3, all[34]);
        Assert.Equal(Bytes(10, 100), all[42..]);
        pkt.Release();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void PushBeyondHeadroomUsesANewChunk()
    {
        var pkt = PacketBuffer.Rent(4, Bytes(10), _pool);
        pkt.PushHeader(HeaderKind.Network, 40).Fill(9);
        Assert.Equal(50, pkt.Size);
        Assert.Equal(2, pkt.Views.Length);
        Assert.All(pkt.NetworkHeader.ToArray(), b => Assert.Equal(9, b));
        Assert.Equal(Bytes(10), pkt.DataToArray());
        pkt.Release();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void ConsumeAcrossViewsPullsUpAndKeepsAllBytes()
    {
        var data = Bytes(400);
        var chunks = new[] { _pool.Rent(128), _pool.Rent(256), _pool.Rent(256) };
        int o = 0;
        foreach (var c in chunks)
        {
            int n = Math.Min(c.Capacity, data.Length - o);
            data.AsSpan(o, n).CopyTo(c.Span);
            o += n;
        }
        var pkt = PacketBuffer.FromChunks(chunks, data.Length, _pool);
        Assert.True(pkt.TryConsumeHeader(HeaderKind.Link, 100, out var link));
        Assert.Equal(data[..100], link.ToArray());
        Assert.True(pkt.TryConsumeHeader(HeaderKind.Network, 60, out var net)); // straddles 128
        Assert.Equal(data[100..160], net.ToArray());
        Assert.Equal(data[..100], pkt.LinkHeader.ToArray());
        Assert.Equal(data[160..], pkt.DataToArray());
        Assert.Equal(data, pkt.ToArray());
        Assert.False(pkt.TryConsumeHeader(HeaderKind.Transport, 241, out _));
        Assert.True(pkt.TryConsumeHeader(HeaderKind.Transport, 240, out _));
        Assert.Equal(0, pkt.DataSize);
        pkt.Release();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void DataViewsCoverExactlyTheData()
    {
        var data = Bytes(300);
        var chunks = new[] { _pool.Rent(128), _pool.Rent(256) };
        data.AsSpan(0, 128).CopyTo(chunks[0].Span);
        data.AsSpan(128).CopyTo(chunks[1].Span);
        var pkt = PacketBuffer.FromChunks(chunks, 300, _pool);
        pkt.TryConsumeHeader(HeaderKind.Network, 20, out _);
        var seen = new List<byte>();
        foreach (var v in pkt.Data)
        {
            seen.AddRange(v.Span.ToArray());
        }
        Assert.Equal(data[20..], seen);
        pkt.Release();
    }

    [Fact]
    public void TrimDataDropsTrailingBytesAndChunks()
    {
        var pkt = PacketBuffer.Rent(0, 10, _pool);
        pkt.AppendCopy(Bytes(100));
        Assert.Equal(110, pkt.DataSize);
        pkt.TrimData(5);
        Assert.Equal(5, pkt.DataSize);
        pkt.Release();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void CloneSharesBytesAndEachReleaseCounts()
    {
        var pkt = PacketBuffer.Rent(32, Bytes(20), _pool);
        pkt.PushHeader(HeaderKind.Network, 20);
        var clone = pkt.Clone();
        Assert.Equal(pkt.ToArray(), clone.ToArray());
        Assert.Equal(20, clone.NetworkHeader.Length);
        clone.PushHeader(HeaderKind.Link, 14);
        Assert.Equal(40, pkt.Size);
        Assert.Equal(54, clone.Size);
        pkt.Release();
        Assert.Equal(54, clone.ToArray().Length);
        clone.Release();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void ZeroLengthPacketIsValid()
    {
        var pkt = PacketBuffer.Rent(16, 0, _pool);
        Assert.Equal(0, pkt.Size);
        Assert.True(pkt.TryGetContiguousData(out var d));
        Assert.True(d.IsEmpty);
        pkt.Release();
        var empty = PacketBuffer.FromChunks(ReadOnlySpan<Chunk>.Empty, 0, _pool);
        Assert.Equal(0, empty.Size);
        empty.Release();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void DeepCopyOwnsItsBytesAndKeepsHeadersAndMetadata()
    {
        var pkt = PacketBuffer.Rent(32, Bytes(10, 100), _pool);
        pkt.PushHeader(HeaderKind.Transport, 8).Fill(3);
        pkt.PushHeader(HeaderKind.Network, 20).Fill(2);
        pkt.NetworkProtocol = 0x0800;
        pkt.Hash = 77;
        var copy = pkt.DeepCopy(headroom: 14);
        Assert.Equal(pkt.ToArray(), copy.ToArray());
        Assert.Equal(28, copy.HeaderSize);
        Assert.Equal(pkt.NetworkHeader.ToArray(), copy.NetworkHeader.ToArray());
        Assert.Equal(pkt.TransportHeader.ToArray(), copy.TransportHeader.ToArray());
        Assert.Equal((ushort)0x0800, copy.NetworkProtocol);
        Assert.Equal(77u, copy.Hash);
        Assert.Equal(14, copy.AvailableHeadroom);
        copy.NetworkHeader[0] = 0x45;
        copy.PushHeader(HeaderKind.Link, 14).Fill(1);
        Assert.Equal(2, pkt.NetworkHeader[0]);
        Assert.Equal(0, pkt.LinkHeader.Length);
        Assert.Equal(1, copy.Views.Length);

        // Consumed headers (receive side) and packets beyond one chunk are copied too.
        var big = PacketBuffer.Rent(0, Bytes(70_000), _pool);
        Assert.True(big.TryConsumeHeader(HeaderKind.Link, 14, out _));
        var bigCopy = big.DeepCopy();
        Assert.Equal(big.ToArray(), bigCopy.ToArray());
        Assert.Equal(big.LinkHeader.ToArray(), bigCopy.LinkHeader.ToArray());
        Assert.Equal(big.DataSize, bigCopy.DataSize);
        foreach (var p in new[] { pkt, copy, big, bigCopy })
        {
            p.Release();
        }
        Assert.Equal(0, _pool.Outstanding);
    }

}

/// <summary>
/// Runs alone: between the two releases the packet object sits in the process-wide packet pool, where a
/// test running in parallel could rent it, and the second release would then free that test's packet.
/// </summary>
[CollectionDefinition(nameof(PacketBufferMisuseTests), DisableParallelization = true)]
[Collection(nameof(PacketBufferMisuseTests))]
public class PacketBufferMisuseTests
{
    [Fact]
    public void ReleasingTooOftenThrows()
    {
        var pkt = PacketBuffer.Rent(0, 1, new ChunkPool());
        pkt.Release();
        Assert.Throws<InvalidOperationException>(pkt.Release);
    }
}
