using System.Net;
using System.Net.Sockets;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Sockets;
using Netstack.Transport.Tcp;
using TcpListener = Netstack.Sockets.TcpListener;

namespace Netstack.Tests.Transport.Tcp;

[Collection(ChunkPoolCollection.Name)]
public class TcpCloseTests
{
    private static TcpProtocolOptions ShortTimeWait => new() { TimeWaitDuration = TimeSpan.FromSeconds(2) };

    [Fact]
    public async Task ActiveCloseGoesThroughFinWaitAndTimeWait()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.Connection.ShutdownWrite();
        var fin = sc.Read();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(TcpState.FinWait1, sc.Connection.State);
        sc.Acknowledge(fin.Seq + 1);
        Assert.Equal(TcpState.FinWait2, sc.Connection.State);
        sc.SendData([], TcpFlags.Fin | TcpFlags.Ack);
        sc.PeerNext++;
        var ack = sc.Read();
        Assert.Equal(sc.PeerNext, ack.Ack);
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        Assert.Equal(0, await sc.Connection.ReadAsync(new byte[1]));
        host.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        host.Advance(TimeSpan.FromSeconds(1.1));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        await sc.Connection.DisposeAsync();
        AssertNothingLeft(host);
    }

    [Fact]
    public async Task AFinThatAlsoAcknowledgesOurFinGoesFromFinWait1StraightToTimeWait()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.Connection.ShutdownWrite();
        var fin = sc.Read();
        Assert.Equal(TcpState.FinWait1, sc.Connection.State);
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack, ack: fin.Seq + 1));
        sc.PeerNext++;
        Assert.Equal(sc.PeerNext, sc.Read().Ack);
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        host.Advance(TimeSpan.FromSeconds(2.1));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        AssertNothingLeft(host);
    }

    [Fact]
    public async Task PassiveCloseGoesThroughCloseWaitAndLastAck()
    {
        using var host = new TcpTestHost();
        var (sc, listener) = await ScriptedConnection.PassiveAsync(host);
        sc.SendData("bye"u8.ToArray(), TcpFlags.Fin | TcpFlags.Ack);
        sc.PeerNext++;
        var ack = sc.Read();
        Assert.Equal(sc.PeerNext, ack.Ack);
        Assert.Equal(TcpState.CloseWait, sc.Connection.State);
        var buffer = new byte[10];
        Assert.Equal(3, await sc.Connection.ReadAsync(buffer));
        Assert.Equal(0, await sc.Connection.ReadAsync(buffer));
        // Half-closed: we may still send.
        await sc.Connection.WriteAsync("ok"u8.ToArray());
        var data = sc.Read();
        Assert.Equal("ok"u8.ToArray(), data.Payload);
        await sc.Connection.DisposeAsync();
        var fin = sc.Read();
        Assert.True(fin.Has(TcpFlags.Fin));
        Assert.Equal(TcpState.LastAck, sc.Connection.State);
        sc.Acknowledge(fin.Seq + 1);
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        listener.Dispose();
        AssertNothingLeft(host);
    }

    [Fact]
    public async Task SimultaneousCloseGoesThroughClosing()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.Connection.ShutdownWrite();
        var fin = sc.Read();
        // The peer's FIN crosses ours (it has not seen ours yet).
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
        sc.PeerNext++;
        var ack = sc.Read();
        Assert.Equal(sc.PeerNext, ack.Ack);
        Assert.Equal(TcpState.Closing, sc.Connection.State);
        sc.Acknowledge(fin.Seq + 1);
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        host.Advance(TimeSpan.FromSeconds(2.1));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
    }

    [Fact]
    public async Task HalfCloseKeepsReceivingAndRefusesWrites()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.Connection.ShutdownWrite();
        var fin = sc.Read();
        sc.Acknowledge(fin.Seq + 1);
        sc.SendData("more"u8.ToArray());
        var buffer = new byte[10];
        Assert.Equal(4, await sc.Connection.ReadAsync(buffer));
        var e = await Assert.ThrowsAsync<SocketException>(async () => await sc.Connection.WriteAsync(new byte[1]));
        Assert.Equal(SocketError.Shutdown, e.SocketErrorCode);
        var io = await Assert.ThrowsAsync<IOException>(async () => await sc.Connection.Stream.WriteAsync(new byte[1]));
        Assert.IsType<SocketException>(io.InnerException);
    }

    [Fact]
    public async Task FinIsRetransmittedUntilAcknowledged()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.Connection.ShutdownWrite();
        var fin = sc.Read();
        host.Advance(TimeSpan.FromMilliseconds(1100));
        var again = sc.Read();
        Assert.True(again.Has(TcpFlags.Fin));
        Assert.Equal(fin.Seq, again.Seq);
    }

    [Fact]
    public async Task CloseWithUnreadDataSendsRst()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.SendData([1, 2, 3]);
        host.ReadAll();
        await sc.Connection.DisposeAsync();
        var rst = sc.Read();
        Assert.True(rst.Has(TcpFlags.Rst));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        AssertNothingLeft(host);
    }

    [Fact]
    public async Task LingerZeroAbortsWithRst()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[100]);
        sc.Read();
        sc.Connection.LingerState = new LingerOption(true, 0);
        await sc.Connection.DisposeAsync();
        var rst = sc.Read();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(sc.PeerAcked + 100, rst.Seq);
        AssertNothingLeft(host);
    }

    [Fact]
    public async Task LingerWaitsForTheAcknowledgmentOfEverything()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[100]);
        sc.Read();
        sc.Connection.LingerState = new LingerOption(true, 5);
        var dispose = sc.Connection.DisposeAsync().AsTask();
        var fin = await sc.ReadAsync();
        Assert.True(fin.Has(TcpFlags.Fin));
        await Task.Delay(20);
        Assert.False(dispose.IsCompleted);
        sc.Acknowledge(fin.Seq + 1);
        await dispose.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TcpState.FinWait2, sc.Connection.State);
    }

    [Fact]
    public async Task DataAfterCloseDrawsRst()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.DisposeAsync();
        var fin = sc.Read();
        sc.Acknowledge(fin.Seq + 1);
        Assert.Equal(TcpState.FinWait2, sc.Connection.State);
        sc.SendData([1]);
        var rst = sc.Read();
        Assert.True(rst.Has(TcpFlags.Rst));
        AssertNothingLeft(host);
    }

    [Fact]
    public async Task OrphanedFinWait2TimesOut()
    {
        using var host = new TcpTestHost(new TcpProtocolOptions { FinWait2Timeout = TimeSpan.FromSeconds(3) });
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.DisposeAsync();
        var fin = sc.Read();
        sc.Acknowledge(fin.Seq + 1);
        host.Advance(TimeSpan.FromSeconds(3.1));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        AssertNothingLeft(host);
    }

    [Fact]
    public async Task TimeWaitAcknowledgesARetransmittedFinAndRestarts()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.Connection.ShutdownWrite();
        var fin = sc.Read();
        sc.Acknowledge(fin.Seq + 1);
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
        sc.PeerNext++;
        sc.Read();
        host.Advance(TimeSpan.FromSeconds(1.5));
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack, seq: sc.PeerNext - 1));
        var ack = sc.Read();
        Assert.Equal(sc.PeerNext, ack.Ack);
        host.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        host.Advance(TimeSpan.FromSeconds(0.6));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
    }

    [Fact]
    public async Task NewSynWithHigherSequenceTakesOverTimeWait()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        var (sc, listener) = await ScriptedConnection.PassiveAsync(host, timestamps: false);
        await using var _ = listener;
        // Server closes first, so the server side is the one in TIME-WAIT.
        sc.Connection.ShutdownWrite();
        var fin = sc.Read();
        sc.Acknowledge(fin.Seq + 1);
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
        sc.PeerNext++;
        sc.Read();
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        // An old SYN (below RCV.NXT) gets a challenge ACK, not a connection.
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = ScriptedConnection.LocalPort, Seq = sc.PeerNext - 10, Flags = TcpFlags.Syn });
        var challenge = sc.Read();
        Assert.Equal(TcpFlags.Ack, challenge.Flags);
        // A new incarnation's SYN is accepted (RFC 6191 without timestamps: higher ISN).
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = ScriptedConnection.LocalPort, Seq = sc.PeerNext + 100000, Flags = TcpFlags.Syn });
        var synAck = sc.Read();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(sc.PeerNext + 100001, synAck.Ack);
        Assert.Equal(TcpState.Closed, sc.Connection.State);
    }

    [Fact]
    public async Task WithTimestampsANewerTimestampTakesOverTimeWaitAndAnOlderOneCannot()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        var (sc, listener) = await ScriptedConnection.PassiveAsync(host, timestamps: true);
        await using var _ = listener;
        sc.Connection.ShutdownWrite();
        var fin = sc.Read();
        sc.Acknowledge(fin.Seq + 1);
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
        sc.PeerNext++;
        sc.Read();
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        // RFC 6191: an older timestamp is an old duplicate (PAWS), whatever its sequence number.
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = ScriptedConnection.LocalPort, Seq = sc.PeerNext + 100000, Flags = TcpFlags.Syn, Options = TestSegment.SynOptions(1460, 7, true, sc.PeerTsVal - 10) });
        Assert.Equal(TcpFlags.Ack, sc.Read().Flags);
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        // A newer timestamp is a new incarnation, even with a lower sequence number.
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = ScriptedConnection.LocalPort, Seq = sc.PeerNext - 5000, Flags = TcpFlags.Syn, Options = TestSegment.SynOptions(1460, 7, true, sc.PeerTsVal + 10) });
        var synAck = sc.Read();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(sc.PeerNext - 4999, synAck.Ack);
        Assert.Equal(TcpState.Closed, sc.Connection.State);
    }

    [Fact]
    public async Task TimeWaitIsACompactEndpointThatReleasedTheConnectionsBuffers()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        long chunks = ChunkPool.Shared.Outstanding;
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[3000]);
        sc.SendData(new byte[700]);
        await EnterTimeWaitAsActiveCloser(sc);
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        // The unread 700 bytes are still there for the application; nothing else is held.
        Assert.Equal(700, await sc.Connection.ReadAsync(new byte[1000]));
        Assert.Equal(0, await sc.Connection.ReadAsync(new byte[1000]));
        host.ReadAll();
        Assert.Equal(chunks, ChunkPool.Shared.Outstanding);
        Assert.Equal(1, host.Stack.Timers.Count);
        Assert.Equal(1, host.Tcp.ActiveEndpoints);
        Assert.True(host.Stack.Ports.IsReserved(6, sc.OurPort), "TIME-WAIT keeps the port of an active open");
        Assert.Equal(1, host.Tcp.Stats.TimeWaits.Value);
        host.Advance(TimeSpan.FromSeconds(2.1));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        AssertNothingLeft(host);
    }

    [Fact]
    public async Task InTimeWaitARstAtRcvNxtEndsTheWaitAndABareAckRestartsIt()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        var sc = await ScriptedConnection.ActiveAsync(host);
        await EnterTimeWaitAsActiveCloser(sc);
        host.Advance(TimeSpan.FromSeconds(1.5));
        host.Inject(sc.Segment(TcpFlags.Ack));
        host.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        host.AssertNothingSent();
        // A RST elsewhere than RCV.NXT is answered (rate-limited ACK) and ignored; at RCV.NXT it ends the wait.
        host.Inject(sc.Segment(TcpFlags.Rst, seq: sc.PeerNext + 10));
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        host.Inject(sc.Segment(TcpFlags.Rst));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        host.ReadAll();
        AssertNothingLeft(host);
    }

    [Fact]
    public async Task InTimeWaitRetransmittedFinsAreAcknowledgedAtMostOncePerInterval()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        var sc = await ScriptedConnection.ActiveAsync(host);
        await EnterTimeWaitAsActiveCloser(sc);
        var fin = sc.Segment(TcpFlags.Fin | TcpFlags.Ack, seq: sc.PeerNext - 1);
        host.Inject(fin);
        host.Inject(fin);
        var ack = sc.Read();
        Assert.Equal(sc.PeerNext, ack.Ack);
        Assert.True(ack.ParsedOptions.HasTimestamps);
        host.AssertNothingSent();
        host.Advance(TimeSpan.FromMilliseconds(600));
        host.Inject(fin);
        Assert.Equal(sc.PeerNext, sc.Read().Ack);
    }

    [Fact]
    public async Task AnEcnSetupSynTakesOverTimeWaitToo()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        var (sc, listener) = await ScriptedConnection.PassiveAsync(host, timestamps: false);
        await using var _ = listener;
        sc.Connection.ShutdownWrite();
        var fin = sc.Read();
        sc.Acknowledge(fin.Seq + 1);
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
        sc.PeerNext++;
        sc.Read();
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = ScriptedConnection.LocalPort, Seq = sc.PeerNext + 100000, Flags = TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr });
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, sc.Read().Flags);
        Assert.Equal(1, host.Tcp.Stats.TimeWaitTakeovers.Value);
    }

    /// <summary>Our FIN first, acknowledged; then the peer's FIN: TIME-WAIT on our side.</summary>
    private static Task EnterTimeWaitAsActiveCloser(ScriptedConnection sc)
    {
        var host = sc.Host;
        sc.Connection.ShutdownWrite();
        var sent = host.ReadAll();
        var fin = sent.Single(s => s.Has(TcpFlags.Fin));
        sc.Acknowledge(fin.Seq + (uint)fin.SequenceLength);
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
        sc.PeerNext++;
        var ack = sc.Read();
        Assert.Equal(sc.PeerNext, ack.Ack);
        Assert.Equal(TcpState.TimeWait, sc.Connection.State);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task IdleConnectionsCreateNoTimersAndClosedOnesLeaveNothing()
    {
        using var host = new TcpTestHost(ShortTimeWait);
        long chunksBefore = ChunkPool.Shared.Outstanding;
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[3000]);
        var segments = host.ReadAll();
        sc.Acknowledge(segments[^1].Seq + (uint)segments[^1].Payload.Length);
        sc.SendData(new byte[2000]);
        var buffer = new byte[4000];
        Assert.Equal(2000, await sc.Connection.ReadAsync(buffer));
        host.Advance(TimeSpan.FromSeconds(1));
        host.ReadAll();
        // Idle: no data outstanding, nothing to acknowledge, no keepalive: no timer armed, no buffer held.
        Assert.Equal(0, host.Stack.Timers.Count);
        Assert.Equal(chunksBefore, ChunkPool.Shared.Outstanding);
        sc.Connection.ShutdownWrite();
        var fin = sc.Read();
        sc.Acknowledge(fin.Seq + 1);
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
        sc.Read();
        host.Advance(TimeSpan.FromSeconds(2.1));
        await sc.Connection.DisposeAsync();
        AssertNothingLeft(host);
        Assert.Equal(chunksBefore, ChunkPool.Shared.Outstanding);
    }

    internal static void AssertNothingLeft(TcpTestHost host)
    {
        Assert.Equal(0, host.Tcp.ActiveEndpoints);
        Assert.Equal(0, host.Stack.Demuxer.Count);
        Assert.Equal(0, host.Stack.Timers.Count);
        for (ushort p = 32768; p <= 60999; p++)
        {
            Assert.False(host.Stack.Ports.IsReserved(6, p));
        }
    }
}
