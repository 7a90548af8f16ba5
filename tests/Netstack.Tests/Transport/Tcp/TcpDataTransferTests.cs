using Netstack.Headers;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

public class TcpDataTransferTests
{
    [Fact]
    public async Task DataFromThePeerIsReadInOrderAndAcknowledged()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.SendData("hello "u8.ToArray());
        sc.SendData("world"u8.ToArray());
        // Two small segments make 2 x 536 bytes? No: the ACK is delayed until the timer.
        host.AssertNothingSent();
        var buffer = new byte[100];
        int n = await sc.Connection.ReadAsync(buffer);
        Assert.Equal("hello world", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        host.Advance(TimeSpan.FromMilliseconds(41));
        var ack = sc.Read();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(sc.PeerNext, ack.Ack);
    }

    [Fact]
    public async Task WritesAreSentAsSegmentsAndFreedWhenAcknowledged()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, peerWindow: 65535);
        var data = new byte[5000];
        Random.Shared.NextBytes(data);
        await sc.Connection.WriteAsync(data);
        var segments = host.ReadAll();
        // 1448-byte segments (1460 less 12 bytes of timestamps), the last one pushed.
        Assert.Equal([1448, 1448, 1448, 656], segments.Select(s => s.Payload.Length));
        Assert.True(segments[^1].Has(TcpFlags.Psh));
        Assert.Equal(data, segments.SelectMany(s => s.Payload).ToArray());
        Assert.Equal(sc.PeerAcked, segments[0].Seq);
        Assert.Equal(5000, sc.Connection.GetStatistics().SendQueueLength);
        sc.Acknowledge(sc.PeerAcked + 5000);
        Assert.Equal(0, sc.Connection.GetStatistics().SendQueueLength);
        Assert.Equal(0, sc.Connection.GetStatistics().BytesInFlight);
    }

    [Fact]
    public async Task OutOfOrderDataIsHeldSackedAndReassembled()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        uint start = sc.PeerNext;
        host.Inject(sc.Segment(payload: [3, 3, 3], seq: start + 6));
        var dup = sc.Read();
        Assert.Equal(start, dup.Ack);
        var sack = dup.ParsedOptions;
        Assert.Equal(1, sack.SackBlockCount);
        Assert.Equal(new TcpSackBlock(start + 6, start + 9), sack.SackBlocks[0]);
        host.Inject(sc.Segment(payload: [2, 2, 2], seq: start + 3));
        dup = sc.Read();
        Assert.Equal(new TcpSackBlock(start + 3, start + 9), dup.ParsedOptions.SackBlocks[0]);
        // Overlapping retransmission covering a held part.
        host.Inject(sc.Segment(payload: [1, 1, 1, 2, 2], seq: start));
        var ack = sc.Read();
        Assert.Equal(start + 9, ack.Ack);
        Assert.Equal(0, ack.ParsedOptions.SackBlockCount);
        var buffer = new byte[20];
        int n = await sc.Connection.ReadAsync(buffer);
        Assert.Equal(new byte[] { 1, 1, 1, 2, 2, 2, 3, 3, 3 }, buffer[..n]);
    }

    [Fact]
    public async Task DuplicateDataIsAcknowledgedAtOnceAndNotDeliveredTwice()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        uint start = sc.PeerNext;
        sc.SendData([1, 2, 3]);
        host.Inject(sc.Segment(payload: [1, 2, 3], seq: start));
        var ack = sc.Read();
        Assert.Equal(start + 3, ack.Ack);
        var buffer = new byte[10];
        Assert.Equal(3, await sc.Connection.ReadAsync(buffer));
        Assert.Equal(0, sc.Connection.GetStatistics().ReceiveQueueLength);
    }

    [Fact]
    public async Task DataBeyondTheWindowIsTrimmed()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, new TcpConnectionSettings { ReceiveBufferSize = 4096 }, windowScale: -1);
        var data = new byte[6000];
        host.Inject(sc.Segment(payload: data));
        var ack = sc.Read();
        Assert.Equal(sc.PeerNext + 4096, ack.Ack);
        Assert.Equal(0, ack.Window);
    }

    [Fact]
    public async Task ReceiveWindowFollowsTheApplicationBuffer()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, new TcpConnectionSettings { ReceiveBufferSize = 64 * 1024 }, windowScale: 7);
        sc.SendData(new byte[1448]);
        sc.SendData(new byte[1448]);
        // Quick ACKs at the start of a connection (as Linux): each full segment is acknowledged.
        var acks = host.ReadAll();
        Assert.Equal(2, acks.Count);
        var ack = acks[^1];
        int scale = sc.Connection.GetStatistics().ReceiveWindowScale;
        // The window shrinks by what is queued; the right edge never moves left.
        Assert.InRange(ack.Window << scale, 64 * 1024 - 2 * 1448, 64 * 1024 - 2 * 1448 + (1 << scale));
        var buffer = new byte[64 * 1024];
        int n = await sc.Connection.ReadAsync(buffer);
        Assert.Equal(2 * 1448, n);
    }

    [Fact]
    public async Task ZeroLengthReadWaitsForDataWithoutConsumingIt()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var wait = sc.Connection.ReadAsync(Memory<byte>.Empty);
        Assert.False(wait.IsCompleted);
        sc.SendData([42]);
        Assert.Equal(0, await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        var buffer = new byte[1];
        Assert.Equal(1, await sc.Connection.ReadAsync(buffer));
        Assert.Equal(42, buffer[0]);
    }

    [Fact]
    public async Task ReadCancellationThrowsAndLeavesTheConnectionUsable()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        using var cts = new CancellationTokenSource();
        var read = sc.Connection.ReadAsync(new byte[10], cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        sc.SendData([7]);
        var buffer = new byte[10];
        Assert.Equal(1, await sc.Connection.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task SecondConcurrentReadIsRejected()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var first = sc.Connection.ReadAsync(new byte[10]);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await sc.Connection.ReadAsync(new byte[10]));
        sc.SendData([1]);
        Assert.Equal(1, await first.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task WriteWaitsForSendBufferSpace()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, new TcpConnectionSettings { SendBufferSize = 8192 });
        var write = sc.Connection.WriteAsync(new byte[20000]).AsTask();
        await Task.Delay(50);
        Assert.False(write.IsCompleted);
        // Acknowledge until the whole write fits.
        while (!write.IsCompleted)
        {
            var sent = host.ReadAll();
            if (sent.Count > 0)
            {
                var last = sent[^1];
                sc.Acknowledge(last.Seq + (uint)last.Payload.Length);
            }
            await Task.Delay(10);
        }
        await write;
    }
}

public class TcpWindowTests
{
    [Fact]
    public async Task ReadingFromAFullBufferSendsAWindowUpdate()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, new TcpConnectionSettings { ReceiveBufferSize = 8192 }, windowScale: -1);
        sc.SendData(new byte[4096]);
        sc.SendData(new byte[4096]);
        var acks = host.ReadAll();
        Assert.Equal(0, acks[^1].Window);
        // A small read opens less than an MSS: no update yet (receiver silly-window avoidance).
        var buffer = new byte[8192];
        Assert.Equal(100, await sc.Connection.ReadAsync(buffer.AsMemory(0, 100)));
        host.AssertNothingSent();
        // Reading the rest opens the window: an update goes at once.
        await sc.Connection.ReadAsync(buffer);
        var update = sc.Read();
        Assert.Equal(sc.PeerNext, update.Ack);
        Assert.Equal(8192, update.Window);
    }

    [Fact]
    public async Task TheAdvertisedWindowNeverShrinks()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, new TcpConnectionSettings { ReceiveBufferSize = 16384 }, windowScale: -1);
        uint rightEdge = 0;
        for (int i = 0; i < 10; i++)
        {
            sc.SendData(new byte[1000]);
            host.Advance(TimeSpan.FromMilliseconds(50));
            foreach (var ack in host.ReadAll())
            {
                uint edge = ack.Ack + ack.Window;
                Assert.True(unchecked((int)(edge - rightEdge)) >= 0 || rightEdge == 0, $"edge moved left: {edge} < {rightEdge}");
                rightEdge = edge;
            }
        }
    }
}

public class TcpSackOptionSpaceTests
{
    [Fact]
    public async Task SegmentsCarryingSackBlocksStillFitTheMtu()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        // Out-of-order data from the peer: our segments now carry SACK blocks.
        host.Inject(sc.Segment(payload: new byte[10], seq: sc.PeerNext + 100));
        host.Inject(sc.Segment(payload: new byte[10], seq: sc.PeerNext + 300));
        host.ReadAll();
        await sc.Connection.WriteAsync(new byte[6000]);
        var sent = host.ReadAll();
        Assert.All(sent, s =>
        {
            Assert.Equal(2, s.ParsedOptions.SackBlockCount);
            Assert.True(20 + 20 + s.Options.Length + s.Payload.Length <= 1500, $"{s.Options.Length} option bytes + {s.Payload.Length}");
        });
        Assert.Equal(6000, sent.Sum(s => s.Payload.Length));
    }
}
