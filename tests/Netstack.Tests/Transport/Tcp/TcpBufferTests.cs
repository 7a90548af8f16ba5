using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

[Collection(ChunkPoolCollection.Name)]
public class TcpBufferTests
{
    [Fact]
    public void SendBufferHandsOutViewsWithoutCopyingAndReleasesOnAck()
    {
        var pool = new ChunkPool();
        var buffer = new SendBuffer(pool);
        var data = new byte[200_000];
        Random.Shared.NextBytes(data);
        Assert.Equal(150_000, buffer.Append(data, 150_000));
        Assert.Equal(50_000, buffer.Append(data.AsSpan(150_000), int.MaxValue));
        Assert.Equal(200_000, buffer.Length);
        // Read back any range through packet views.
        foreach (var (offset, length) in new[] { (0, 1448), (65000, 2000), (131000, 3000), (199_000, 1000), (5, 0) })
        {
            var p = PacketBuffer.Rent(64, 0, pool);
            buffer.AppendTo(p, offset, length);
            Assert.Equal(data.AsSpan(offset, length).ToArray(), p.DataToArray());
            p.Release();
        }
        buffer.Consume(70_000);
        Assert.Equal(70_000, buffer.Head);
        var q = PacketBuffer.Rent(64, 0, pool);
        buffer.AppendTo(q, 70_000, 10);
        Assert.Equal(data.AsSpan(70_000, 10).ToArray(), q.DataToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.AppendTo(q, 60_000, 10));
        buffer.Clear();
        // The packet keeps its chunk alive until it is released.
        Assert.Equal(1, pool.Outstanding - 1);
        q.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void ReceiveQueueReadsAcrossViewsAndCompactsSmallPayloads()
    {
        var pool = new ChunkPool();
        var queue = new ReceiveQueue(pool);
        var big = PacketBuffer.Rent(0, new byte[3000].Select((_, i) => (byte)i).ToArray(), pool);
        queue.Append(big, 1000, 2000);
        big.Release();
        for (int i = 0; i < 100; i++)
        {
            var small = PacketBuffer.Rent(0, new[] { (byte)i }, pool);
            queue.Append(small, 0, 1);
            small.Release();
        }
        Assert.Equal(2100, queue.Length);
        // 100 one-byte payloads share one compact chunk, not 100 packets.
        Assert.True(pool.Outstanding <= 3, $"{pool.Outstanding} chunks held");
        var out1 = new byte[1500];
        Assert.Equal(1500, queue.Read(out1));
        Assert.Equal(unchecked((byte)1000), out1[0]);
        var out2 = new byte[1000];
        Assert.Equal(600, queue.Read(out2));
        Assert.Equal((byte)(2999 % 256), out2[499]);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (byte)i), out2[500..600]);
        Assert.Equal(0, queue.Length);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void OutOfOrderQueueKeepsOnlyNewBytesAndDrainsInOrder()
    {
        var pool = new ChunkPool();
        var ooo = new OutOfOrderQueue(16, pool);
        var queue = new ReceiveQueue(pool);
        var stream = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var start = new SeqNumber(uint.MaxValue - 30);
        void Insert(int from, int to)
        {
            var p = PacketBuffer.Rent(0, stream.AsSpan(from, to - from), pool);
            Assert.True(ooo.Insert(start + from, p, 0, to - from));
            p.Release();
        }
        Insert(50, 60);
        Insert(20, 30);
        Insert(55, 70);
        Insert(25, 52);
        Insert(40, 45);
        Assert.Equal(50, ooo.Bytes);
        Span<TcpSackBlock> blocks = stackalloc TcpSackBlock[4];
        int n = ooo.GetSackBlocks(blocks);
        Assert.Equal(1, n);
        Assert.Equal(new TcpSackBlock((start + 20).Value, (start + 70).Value), blocks[0]);
        Insert(80, 90);
        n = ooo.GetSackBlocks(blocks);
        Assert.Equal(2, n);
        Assert.Equal((start + 80).Value, blocks[0].Start);
        // Nothing drains until the gap at 0..20 fills.
        Assert.Equal(start + 10, ooo.Drain(start + 10, queue));
        var head = PacketBuffer.Rent(0, stream.AsSpan(0, 20), pool);
        queue.Append(head, 0, 20);
        head.Release();
        var next = ooo.Drain(start + 20, queue);
        Assert.Equal(start + 70, next);
        var read = new byte[100];
        Assert.Equal(70, queue.Read(read));
        Assert.Equal(stream[..70], read[..70]);
        ooo.Clear();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void OutOfOrderQueueIsBoundedAndPrefersLowerSegments()
    {
        var pool = new ChunkPool();
        var ooo = new OutOfOrderQueue(4, pool);
        var p = PacketBuffer.Rent(0, new byte[10], pool);
        for (int i = 1; i <= 4; i++)
        {
            Assert.True(ooo.Insert(new SeqNumber((uint)(i * 100)), p, 0, 10));
        }
        Assert.False(ooo.Insert(new SeqNumber(1000), p, 0, 10));
        Assert.True(ooo.Insert(new SeqNumber(50), p, 0, 10));
        Assert.Equal(4, ooo.Count);
        Assert.Equal(new SeqNumber(310), ooo.HighestEnd);
        ooo.Clear();
        p.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void ReceiveQueueChargesWholeChunksAndCollapsesSparseOnes()
    {
        var pool = new ChunkPool();
        var queue = new ReceiveQueue(pool);
        var stream = Enumerable.Range(0, 4000).Select(i => (byte)(i * 7)).ToArray();
        // 600-byte payloads, each alone in a 64 KiB chunk: charged 64 KiB each.
        for (int i = 0; i < 4; i++)
        {
            var p = PacketBuffer.Rent(ChunkPool.MaxChunkSize - 600, stream.AsSpan(i * 600, 600), pool);
            queue.Append(p, 0, 600);
            p.Release();
        }
        Assert.Equal(4 * ChunkPool.MaxChunkSize, queue.Memory);
        var first = new byte[100];
        Assert.Equal(100, queue.Read(first));
        Assert.Equal(4, queue.Collapse());
        // Now in one compact chunk: charged the bytes plus the chunk's unused rest.
        Assert.Equal(CompactWriter.ChunkSize, queue.Memory);
        Assert.Equal(1, pool.Outstanding);
        Assert.Equal(0, queue.Collapse());
        var rest = new byte[4000];
        Assert.Equal(2300, queue.Read(rest));
        Assert.Equal(stream[..100], first);
        Assert.Equal(stream[100..2400], rest[..2300]);
        Assert.Equal(0, queue.Memory);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void OutOfOrderQueueCollapsesAndPrunesFromTheTop()
    {
        var pool = new ChunkPool();
        var ooo = new OutOfOrderQueue(64, pool);
        var queue = new ReceiveQueue(pool);
        var stream = Enumerable.Range(0, 20_000).Select(i => (byte)(i * 13)).ToArray();
        var start = new SeqNumber(uint.MaxValue - 5000);
        // Ten 1,000-byte pieces with 1,000-byte gaps, each in its own 64 KiB chunk.
        for (int i = 1; i < 20; i += 2)
        {
            var p = PacketBuffer.Rent(ChunkPool.MaxChunkSize - 1000, stream.AsSpan(i * 1000, 1000), pool);
            Assert.True(ooo.Insert(start + i * 1000, p, 0, 1000));
            p.Release();
        }
        Assert.Equal(10 * ChunkPool.MaxChunkSize, ooo.Memory);
        Assert.Equal(10, ooo.Collapse());
        Assert.Equal(10_000, ooo.Bytes);
        Assert.True(ooo.Memory <= 10_000 + CompactWriter.ChunkSize, $"{ooo.Memory}");
        Assert.True(pool.Outstanding <= 3, $"{pool.Outstanding} chunks held");
        Span<TcpSackBlock> blocks = stackalloc TcpSackBlock[4];
        Assert.Equal(4, ooo.GetSackBlocks(blocks));
        // Pruning drops the highest pieces first (a collapsed piece may span two compact chunks) and none below the floor.
        Assert.InRange(ooo.PruneFromTop(start + 14_000, 0), 3, 6);
        Assert.Equal(new SeqNumber((start + 14_000).Value), ooo.HighestEnd);
        // The gaps fill: what is left drains in order with the right bytes.
        for (int i = 0; i < 14; i += 2)
        {
            var p = PacketBuffer.Rent(0, stream.AsSpan(i * 1000, 1000), pool);
            if (i == 0)
            {
                queue.Append(p, 0, 1000);
            }
            else
            {
                Assert.True(ooo.Insert(start + i * 1000, p, 0, 1000));
            }
            p.Release();
        }
        Assert.Equal(start + 14_000, ooo.Drain(start + 1000, queue));
        Assert.True(ooo.IsEmpty);
        Assert.Equal(0, ooo.Memory);
        var read = new byte[20_000];
        Assert.Equal(14_000, queue.Read(read));
        Assert.Equal(stream[..14_000], read[..14_000]);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void ScoreboardMergesRangesAndFindsHoles()
    {
        var sb = new SackScoreboard();
        var una = new SeqNumber(uint.MaxValue - 1000);
        Assert.Equal(100, sb.Add(una + 100, una + 200));
        Assert.Equal(100, sb.Add(una + 300, una + 400));
        Assert.Equal(100, sb.Add(una + 150, una + 300));
        Assert.Equal(1, sb.Count);
        Assert.Equal(0, sb.Add(una + 120, una + 180));
        Assert.Equal(300, sb.SackedBytes);
        sb.Add(una + 600, una + 700);
        Assert.True(sb.NextHole(una, una + 1000, out var hs, out var he));
        Assert.Equal((una, una + 100), (hs, he));
        Assert.True(sb.NextHole(una + 100, una + 1000, out hs, out he));
        Assert.Equal((una + 400, una + 600), (hs, he));
        Assert.True(sb.NextHole(una + 650, una + 1000, out hs, out he));
        Assert.Equal((una + 700, una + 1000), (hs, he));
        Assert.Equal(100, sb.SackedIn(una + 350, una + 650));
        Assert.True(sb.IsSacked(una + 399));
        Assert.False(sb.IsSacked(una + 400));
        // IsLost with MSS 100, DupThresh 3: more than 200 bytes SACKed above.
        Assert.Equal(una + 100, sb.LostBoundary(una, 3, 100));
        Assert.Equal(una, sb.LostBoundary(una, 3, 1000));
        sb.RemoveBelow(una + 350);
        Assert.Equal(150, sb.SackedBytes);
        Assert.Equal(una + 350, sb[0].Start);
        sb.Clear();
        Assert.True(sb.IsEmpty);
    }

    [Fact]
    public void ScoreboardCountsDiscontiguousRangesForIsLost()
    {
        var sb = new SackScoreboard();
        var una = new SeqNumber(0);
        sb.Add(una + 10, una + 11);
        sb.Add(una + 20, una + 21);
        Assert.Equal(una, sb.LostBoundary(una, 3, 1000));
        sb.Add(una + 30, una + 31);
        Assert.Equal(una + 10, sb.LostBoundary(una, 3, 1000));
    }
}
