using Netstack.Buffers;
using Netstack.Interop;
using Netstack.Link.FdBased;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Buffers;

/// <summary>The per-thread chunk caches never strand memory when a thread ends.</summary>
public class ChunkPoolThreadCacheTests
{
    [Fact]
    public void FlushedCacheGoesBackToTheSharedStacks()
    {
        var pool = new ChunkPool();
        var thread = new Thread(() =>
        {
            var chunks = Enumerable.Range(0, 8).Select(_ => pool.Rent(1500)).ToList();
            chunks.ForEach(c => c.Release());
            ChunkPool.FlushThreadCache();
        });
        thread.Start();
        thread.Join();
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(8 * 2048, pool.RetainedBytes);
    }

    [Fact]
    public void CacheOfAThreadThatEndedWithoutFlushingIsReturnedByItsFinalizer()
    {
        var pool = new ChunkPool();
        var thread = new Thread(() =>
        {
            var chunks = Enumerable.Range(0, 4).Select(_ => pool.Rent(4096)).ToList();
            chunks.ForEach(c => c.Release());
        });
        thread.Start();
        thread.Join();
        Assert.True(SpinWait.SpinUntil(() =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return pool.RetainedBytes == 4 * 4096;
        }, 5000));
    }

    [Fact]
    public void ReaderThreadsLeaveNoChunksBehindAcrossReattach()
    {
        var pool = new ChunkPool();
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], PacketDispatchMode = PacketDispatchMode.RecvMmsg }, pool);
        for (int round = 0; round < 3; round++)
        {
            var recorder = new RecordingDispatcher();
            ep.Attach(recorder);
            pair.Send(Frames.Ipv4Like(1500, round));
            Assert.NotNull(recorder.Next());
            ep.Attach(null);
        }
        Assert.Equal(0, pool.Outstanding);
        // The 8 message slots' chunks (8 x 10 views) came back to the shared stacks, not a dead thread's cache.
        long slotBytes = 8L * ReceiveBufferLayout.Sizes.Sum(ChunkPool.ChunkSizeFor);
        Assert.True(pool.RetainedBytes >= slotBytes, $"retained {pool.RetainedBytes} < {slotBytes}");
    }
}
