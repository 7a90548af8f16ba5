using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>The data path allocates nothing in steady state (pooled packets and chunks, reused awaitables).</summary>
[Collection(ChunkPoolCollection.Name)]
public class TcpAllocationTests
{
    [Fact]
    public async Task ReceivingAndSendingSegmentsAllocatesNothing()
    {
        using var host = new TcpTestHost(fakeTime: false);
        var sc = await ScriptedConnection.ActiveAsync(host, timestamps: true);
        var payload = new byte[1448];
        var readBuffer = new byte[4096];
        // Pre-built frames: the peer's data segments (timestamps fixed) and its ACKs.
        const int Rounds = 2000;
        var dataFrames = new byte[Rounds][];
        for (int i = 0; i < Rounds; i++)
        {
            dataFrames[i] = sc.Segment(TcpFlags.Ack | TcpFlags.Psh, payload, seq: sc.PeerNext + (uint)(i * payload.Length)).ToFrame();
        }
        var ackFrames = new byte[Rounds][];
        for (int i = 0; i < Rounds; i++)
        {
            ackFrames[i] = sc.Segment(TcpFlags.Ack, ack: sc.PeerAcked + (uint)((i + 1) * payload.Length), seq: sc.PeerNext + (uint)((i + 1) * payload.Length)).ToFrame();
        }

        void Round(int i)
        {
            host.Link.InjectFrame(dataFrames[i]);
            var read = sc.Connection.ReadAsync(readBuffer);
            if (!read.IsCompleted || read.Result != payload.Length)
            {
                throw new InvalidOperationException("the read should complete at once");
            }
            var write = sc.Connection.WriteAsync(payload);
            if (!write.IsCompleted)
            {
                throw new InvalidOperationException("the write should complete at once");
            }
            host.Link.InjectFrame(ackFrames[i]);
            host.Link.DrainOutbound();
        }

        for (int i = 0; i < 200; i++)
        {
            Round(i);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 200; i < Rounds; i++)
        {
            Round(i);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // InjectFrame(byte[]) itself rents pooled packets; nothing per segment may remain.
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for {Rounds - 200} rounds");
        var stats = sc.Connection.GetStatistics();
        Assert.Equal((long)Rounds * payload.Length, stats.BytesReceived);
        Assert.Equal((long)Rounds * payload.Length, stats.BytesAcked);
    }
}
