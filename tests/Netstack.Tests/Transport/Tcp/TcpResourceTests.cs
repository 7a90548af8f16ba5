using System.Net;
using System.Net.Sockets;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Sockets;
using Netstack.Transport.Tcp;
using TcpListener = Netstack.Sockets.TcpListener;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// "A closed connection leaves nothing behind": after every way a connection can end, the demultiplexer,
/// the reserved ports, the armed timers, the live endpoints and the pooled chunks are back at their baseline.
/// </summary>
[Collection(ChunkPoolCollection.Name)]
public class TcpResourceTests
{
    private static readonly IPEndPoint PeerEndPoint = new(TcpTestHost.Peer.ToIPAddress(), ScriptedConnection.PeerPort);
    private static readonly TcpProtocolOptions ShortWaits = new() { TimeWaitDuration = TimeSpan.FromSeconds(2), FinWait2Timeout = TimeSpan.FromSeconds(3) };

    [Fact]
    public async Task GracefulActiveCloseThroughTimeWaitExpiry()
    {
        using var host = new TcpTestHost(ShortWaits);
        long chunks = ChunkPool.Shared.Outstanding;
        var sc = await Busy(host);
        await sc.Connection.DisposeAsync();
        var fin = sc.Read();
        sc.Acknowledge(fin.Seq + 1);
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
        sc.Read();
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        // TIME-WAIT keeps the four-tuple (and its timer) only.
        Assert.Equal(1, host.Stack.Timers.Count);
        host.Advance(TimeSpan.FromSeconds(2.1));
        AssertBaseline(host, chunks);
    }

    [Fact]
    public async Task GracefulPassiveClose()
    {
        using var host = new TcpTestHost(ShortWaits);
        long chunks = ChunkPool.Shared.Outstanding;
        var (sc, listener) = await ScriptedConnection.PassiveAsync(host);
        sc.SendData(new byte[2000]);
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
        sc.PeerNext++;
        Assert.Equal(2000, await sc.Connection.ReadAsync(new byte[4000]));
        await sc.Connection.WriteAsync(new byte[3000]);
        await sc.Connection.DisposeAsync();
        var sent = host.ReadAll();
        sc.Acknowledge(sent[^1].Seq + (uint)sent[^1].SequenceLength);
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        listener.Stop();
        AssertBaseline(host, chunks);
    }

    [Fact]
    public async Task AbortWithDataQueuedEverywhere()
    {
        using var host = new TcpTestHost();
        long chunks = ChunkPool.Shared.Outstanding;
        var sc = await Busy(host);
        // Unsent and unacknowledged data, unread data, out-of-order data: all pinned chunks.
        await sc.Connection.WriteAsync(new byte[200_000]);
        sc.SendData(new byte[3000]);
        host.Inject(sc.Segment(payload: new byte[1000], seq: sc.PeerNext + 5000));
        Assert.True(ChunkPool.Shared.Outstanding > chunks);
        sc.Connection.Abort();
        await sc.Connection.DisposeAsync();
        AssertBaseline(host, chunks);
    }

    [Fact]
    public async Task ResetByThePeerWithDataQueued()
    {
        using var host = new TcpTestHost();
        long chunks = ChunkPool.Shared.Outstanding;
        var sc = await Busy(host);
        await sc.Connection.WriteAsync(new byte[50_000]);
        sc.SendData(new byte[3000]);
        host.Inject(sc.Segment(TcpFlags.Rst, seq: sc.PeerNext));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        // Data received before the reset stays readable (Linux); then the error.
        Assert.Equal(3000, await sc.Connection.ReadAsync(new byte[4000]));
        var e = await Assert.ThrowsAsync<SocketException>(async () => await sc.Connection.ReadAsync(new byte[1]));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        await sc.Connection.DisposeAsync();
        AssertBaseline(host, chunks);
    }

    [Fact]
    public async Task CloseWithUnreadDataAndLingerTimeout()
    {
        using var host = new TcpTestHost();
        long chunks = ChunkPool.Shared.Outstanding;
        var first = await Busy(host);
        first.SendData(new byte[100]);
        await first.Connection.DisposeAsync();
        Assert.True(host.ReadAll().Exists(s => s.Has(TcpFlags.Rst)));
        AssertBaseline(host, chunks);

        // Linger 1 s with a peer that never acknowledges: the wait ends in an abort.
        var second = await ScriptedConnection.ActiveAsync(host);
        await second.Connection.WriteAsync(new byte[10_000]);
        second.Connection.LingerState = new LingerOption(true, 1);
        var dispose = second.Connection.DisposeAsync().AsTask();
        host.AdvanceInSteps(TimeSpan.FromSeconds(1.2), TimeSpan.FromMilliseconds(50));
        await dispose.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(host.ReadAll().Exists(s => s.Has(TcpFlags.Rst)));
        AssertBaseline(host, chunks);
    }

    [Fact]
    public async Task OrphanedFinWait2Expiry()
    {
        using var host = new TcpTestHost(ShortWaits);
        long chunks = ChunkPool.Shared.Outstanding;
        var sc = await Busy(host);
        await sc.Connection.DisposeAsync();
        var fin = sc.Read();
        sc.Acknowledge(fin.Seq + 1);
        Assert.Equal(TcpState.FinWait2, sc.Connection.State);
        host.Advance(TimeSpan.FromSeconds(3.1));
        AssertBaseline(host, chunks);
    }

    [Fact]
    public async Task ListenerStopWithHalfOpenAndUnacceptedConnectionsAndAPendingAccept()
    {
        using var host = new TcpTestHost();
        long chunks = ChunkPool.Shared.Outstanding;
        var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        // One half-open (SYN-RECEIVED), one established and waiting in the accept queue with data.
        host.Inject(new TestSegment { SourcePort = 1001, DestinationPort = 80, Seq = 10, Flags = TcpFlags.Syn });
        host.Inject(new TestSegment { SourcePort = 1002, DestinationPort = 80, Seq = 20, Flags = TcpFlags.Syn });
        var synAcks = host.ReadAll();
        var second = synAcks.Single(s => s.DestinationPort == 1002);
        host.Inject(new TestSegment { SourcePort = 1002, DestinationPort = 80, Seq = 21, Ack = second.Seq + 1, Flags = TcpFlags.Ack | TcpFlags.Psh, Payload = new byte[700] });
        Assert.Equal(1, listener.PendingConnections);
        Assert.True(host.Stack.Timers.Count > 0);
        listener.Stop();
        var resets = host.ReadAll();
        Assert.Equal(2, resets.Count(s => s.Has(TcpFlags.Rst)));
        AssertBaseline(host, chunks);

        // A listener stopped while an accept waits: the accept fails, nothing stays.
        using var other = new TcpListener(host.Stack, IPAddress.Any, 81);
        other.Start();
        var accept = other.AcceptAsync();
        other.Stop();
        var e = await Assert.ThrowsAsync<SocketException>(() => accept.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.OperationAborted, e.SocketErrorCode);
        AssertBaseline(host, chunks);
    }

    [Fact]
    public async Task ConnectCancelledTimedOutOrRefused()
    {
        using var host = new TcpTestHost(new TcpProtocolOptions { SynRetries = 2 });
        long chunks = ChunkPool.Shared.Outstanding;
        using (var cts = new CancellationTokenSource())
        {
            var connect = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint, cancellationToken: cts.Token);
            host.Read();
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect.WaitAsync(TimeSpan.FromSeconds(5)));
            AssertBaseline(host, chunks);
        }

        var timingOut = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint);
        host.AdvanceInSteps(TimeSpan.FromSeconds(8), TimeSpan.FromMilliseconds(250));
        var e = await Assert.ThrowsAsync<SocketException>(() => timingOut.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        AssertBaseline(host, chunks);

        var refused = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint);
        var syn = host.Read();
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = syn.SourcePort, Ack = syn.Seq + 1, Flags = TcpFlags.Rst | TcpFlags.Ack });
        e = await Assert.ThrowsAsync<SocketException>(() => refused.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        AssertBaseline(host, chunks);
    }

    [Fact]
    public async Task AnIdleConnectionHoldsNoTimerAndNoBuffer()
    {
        using var host = new TcpTestHost();
        long chunks = ChunkPool.Shared.Outstanding;
        int timers = host.Stack.Timers.Count;
        var sc = await Busy(host);
        host.Advance(TimeSpan.FromSeconds(1));
        host.ReadAll();
        Assert.Equal(timers, host.Stack.Timers.Count);
        Assert.Equal(chunks, ChunkPool.Shared.Outstanding);
        Assert.Equal(TcpState.Established, sc.Connection.State);
        sc.Connection.Abort();
    }

    /// <summary>A connection that moved data both ways and has everything acknowledged and read.</summary>
    private static async Task<ScriptedConnection> Busy(TcpTestHost host)
    {
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[5000]);
        var sent = host.ReadAll();
        sc.Acknowledge(sent[^1].Seq + (uint)sent[^1].Payload.Length);
        sc.SendData(new byte[3000]);
        Assert.Equal(3000, await sc.Connection.ReadAsync(new byte[4000]));
        host.ReadAll();
        return sc;
    }

    private static void AssertBaseline(TcpTestHost host, long chunks)
    {
        host.ReadAll();
        TcpCloseTests.AssertNothingLeft(host);
        Assert.Equal(chunks, ChunkPool.Shared.Outstanding);
    }
}
