using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// The memory received data pins is bounded by the chunks it holds, not its bytes: a peer sending small
/// payloads in 64 KiB receive buffers (a TUN with offloads, a 64 KiB read per frame) cannot make one
/// connection pin more than twice its receive buffer, and every byte inside the advertised window is still taken.
/// </summary>
public sealed class TcpReceiveMemoryTests
{
    private const int BufferSize = 1 << 20;
    private const int Limit = 2 * BufferSize + ChunkPool.MaxChunkSize;

    [Fact]
    public async Task OutOfOrderPayloadsInBigChunksPinAtMostTwiceTheBuffer()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var frames = new ChunkPool();
        int window = OpenWindow(host, sc);
        var rcvNxt = sc.PeerNext;
        var stream = Pattern(window);
        // Hostile: 1,000-byte pieces with 1,000-byte holes over the whole window, each frame alone in a
        // 64 KiB chunk. Before the bound, each piece pinned its chunk: 524 x 64 KiB = 34 MiB.
        for (int off = 1000; off + 1000 <= window; off += 2000)
        {
            InjectInBigChunk(host, sc.Segment(payload: stream[off..(off + 1000)], seq: rcvNxt + (uint)off), frames);
        }
        host.Link.DrainOutbound();
        var stats = sc.Connection.GetStatistics();
        Assert.True(stats.ReceiveMemory <= Limit, $"{stats.ReceiveMemory} bytes charged");
        Assert.True(frames.Outstanding * ChunkPool.MaxChunkSize <= Limit, $"{frames.Outstanding} 64 KiB chunks pinned");
        Assert.True(host.Tcp.Stats.ReceiveCollapsed.Value > 0);
        // The window was honest: the holes fill and every byte arrives, none pruned or dropped.
        for (int off = 0; off < window; off += 2000)
        {
            int n = Math.Min(1000, window - off);
            host.Inject(sc.Segment(payload: stream[off..(off + n)], seq: rcvNxt + (uint)off));
        }
        await AssertReceivesAsync(sc, stream);
        AssertNothingDropped(host);
    }

    [Fact]
    public async Task InOrderPayloadsInBigChunksWithAReaderThatNeverReadsPinAtMostTwiceTheBuffer()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var frames = new ChunkPool();
        int window = OpenWindow(host, sc);
        var stream = Pattern(window);
        long peak = 0;
        // 1,000-byte payloads in order, each alone in a 64 KiB chunk, nobody reading: 1,048 x 64 KiB = 67 MiB before.
        for (int off = 0; off < window; off += 1000)
        {
            int n = Math.Min(1000, window - off);
            InjectInBigChunk(host, sc.Segment(payload: stream[off..(off + n)]), frames);
            sc.PeerNext += (uint)n;
            peak = Math.Max(peak, frames.Outstanding);
            if (off % 64_000 == 0)
            {
                host.Link.DrainOutbound();
            }
        }
        var stats = sc.Connection.GetStatistics();
        Assert.Equal(window, stats.ReceiveQueueLength);
        Assert.True(stats.ReceiveMemory <= Limit, $"{stats.ReceiveMemory} bytes charged");
        Assert.True(peak * ChunkPool.MaxChunkSize <= Limit, $"{peak} 64 KiB chunks pinned at the peak");
        await AssertReceivesAsync(sc, stream);
        AssertNothingDropped(host);
    }

    [Fact]
    public async Task OneBytePayloadsInBigChunksAreCopiedNotPinned()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var frames = new ChunkPool();
        OpenWindow(host, sc);
        var rcvNxt = sc.PeerNext;
        for (uint i = 0; i < 2000; i++)
        {
            // Every other byte out of order (the out-of-order queue's count bound, 1,024, drops the rest), then in order.
            InjectInBigChunk(host, sc.Segment(payload: [(byte)i], seq: rcvNxt + 1 + 2 * i), frames);
        }
        Assert.Equal(0, frames.Outstanding);
        Assert.True(sc.Connection.GetStatistics().ReceiveMemory <= 4 * CompactWriter.ChunkSize);
        Assert.True(host.Tcp.Stats.DroppedOutOfOrderFull.Value > 0);
        host.Link.DrainOutbound();
    }

    [Fact]
    public async Task OverTheLimitOutOfOrderDataIsPrunedFromTheTopAndInOrderDataTaken()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var frames = new ChunkPool();
        int window = OpenWindow(host, sc);
        var rcvNxt = sc.PeerNext;
        var stream = Pattern(window);
        for (int off = 1000; off + 1000 <= window; off += 2000)
        {
            InjectInBigChunk(host, sc.Segment(payload: stream[off..(off + 1000)], seq: rcvNxt + (uint)off), frames);
        }
        host.Link.DrainOutbound();
        // The application shrinks its buffer: what is held out of order no longer fits the new limit.
        sc.Connection.Settings = sc.Connection.Settings with { ReceiveBufferSize = 64 * 1024 };
        const int smallLimit = 2 * 64 * 1024 + ChunkPool.MaxChunkSize;
        InjectInBigChunk(host, sc.Segment(payload: stream[..1000], seq: rcvNxt), frames);
        Assert.True(host.Tcp.Stats.OutOfOrderPruned.Value > 0);
        var stats = sc.Connection.GetStatistics();
        Assert.True(stats.ReceiveMemory <= smallLimit, $"{stats.ReceiveMemory} bytes charged");
        // The in-order segment was taken along with what stayed out of order just above it.
        Assert.True(stats.ReceiveQueueLength >= 2000);
        // Out-of-order data above what is held now does not fit and is dropped, counted.
        long dropped = host.Tcp.Stats.DroppedOutOfOrderMemory.Value;
        for (int off = window - 1000; off > window - 21_000; off -= 2000)
        {
            InjectInBigChunk(host, sc.Segment(payload: stream[off..(off + 1000)], seq: rcvNxt + (uint)off), frames);
        }
        Assert.True(host.Tcp.Stats.DroppedOutOfOrderMemory.Value > dropped);
        Assert.True(sc.Connection.GetStatistics().ReceiveMemory <= smallLimit);
        host.Link.DrainOutbound();
    }

    // Sends a byte and lets the delayed ACK announce the whole buffer; returns the window the peer may fill.
    private static int OpenWindow(TcpTestHost host, ScriptedConnection sc)
    {
        sc.SendData([0x55]);
        var buffer = new byte[1];
        Assert.Equal(1, sc.Connection.ReadAsync(buffer).AsTask().GetAwaiter().GetResult());
        host.Advance(TimeSpan.FromMilliseconds(250));
        var acks = host.ReadAll();
        Assert.NotEmpty(acks);
        int window = acks[^1].Window << 7;
        Assert.InRange(window, BufferSize - 2000, BufferSize);
        return window;
    }

    private static void InjectInBigChunk(TcpTestHost host, TestSegment segment, ChunkPool pool)
    {
        var frame = segment.ToFrame();
        var packet = PacketBuffer.Rent(ChunkPool.MaxChunkSize - frame.Length, frame, pool);
        try
        {
            Assert.True(host.Link.InjectFrame(packet));
        }
        finally
        {
            packet.Release();
        }
    }

    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 31 + (i >> 8));
        }
        return bytes;
    }

    private static async Task AssertReceivesAsync(ScriptedConnection sc, byte[] expected)
    {
        var received = new byte[expected.Length];
        int total = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (total < received.Length)
        {
            int n = await sc.Connection.ReadAsync(received.AsMemory(total), cts.Token);
            Assert.NotEqual(0, n);
            total += n;
        }
        Assert.Equal(expected, received);
        Assert.Equal(0, sc.Connection.GetStatistics().ReceiveMemory);
    }

    private static void AssertNothingDropped(TcpTestHost host)
    {
        Assert.Equal(0, host.Tcp.Stats.OutOfOrderPruned.Value);
        Assert.Equal(0, host.Tcp.Stats.DroppedOutOfOrderMemory.Value);
        Assert.Equal(0, host.Tcp.Stats.DroppedReceiveMemory.Value);
        Assert.Equal(0, host.Tcp.Stats.DroppedOutOfOrderFull.Value);
        Assert.Equal(0, host.Tcp.Stats.DroppedOutOfWindow.Value);
    }
}
