using System.Net.Sockets;
using Netstack.Headers;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>RST handling and the RFC 5961 defences.</summary>
public class TcpResetTests
{
    [Fact]
    public async Task RstAtRcvNxtResetsAndQueuedDataIsReadFirst()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.SendData([9, 9]);
        host.Inject(sc.Segment(TcpFlags.Rst));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        var buffer = new byte[10];
        Assert.Equal(2, await sc.Connection.ReadAsync(buffer));
        var e = await Assert.ThrowsAsync<SocketException>(async () => await sc.Connection.ReadAsync(buffer));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        var io = await Assert.ThrowsAsync<IOException>(async () => { _ = await sc.Connection.Stream.ReadAsync(buffer.AsMemory()); });
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(io.InnerException).SocketErrorCode);
        e = await Assert.ThrowsAsync<SocketException>(async () => await sc.Connection.WriteAsync(buffer));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        Assert.Equal(1, host.Tcp.Stats.ResetsReceived.Value);
    }

    [Theory]
    [InlineData(TcpState.FinWait1, SocketError.ConnectionReset)]
    [InlineData(TcpState.FinWait2, SocketError.ConnectionReset)]
    [InlineData(TcpState.CloseWait, null)]
    [InlineData(TcpState.Closing, null)]
    [InlineData(TcpState.LastAck, null)]
    public async Task RstAtRcvNxtClosesEverySynchronizedState(TcpState state, SocketError? readError)
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        if (state is TcpState.CloseWait or TcpState.LastAck)
        {
            host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
            sc.PeerNext++;
        }
        if (state is not TcpState.CloseWait)
        {
            sc.Connection.ShutdownWrite();
        }
        var fin = host.ReadAll().LastOrDefault(s => s.Has(TcpFlags.Fin));
        if (state == TcpState.FinWait2)
        {
            sc.Acknowledge(fin!.Seq + 1);
        }
        if (state == TcpState.Closing)
        {
            host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
            sc.PeerNext++;
            host.ReadAll();
        }
        Assert.Equal(state, sc.Connection.State);
        host.Inject(sc.Segment(TcpFlags.Rst));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        if (readError is { } expected)
        {
            var e = await Assert.ThrowsAsync<SocketException>(async () => await sc.Connection.ReadAsync(new byte[1]));
            Assert.Equal(expected, e.SocketErrorCode);
        }
        if (state == TcpState.CloseWait)
        {
            // As on Linux: the peer's FIN still ends the stream; writing fails with EPIPE (SocketError.Shutdown).
            Assert.Equal(0, await sc.Connection.ReadAsync(new byte[1]));
            var e = await Assert.ThrowsAsync<SocketException>(async () => await sc.Connection.WriteAsync(new byte[1]));
            Assert.Equal(SocketError.Shutdown, e.SocketErrorCode);
        }
        await sc.Connection.DisposeAsync();
        host.ReadAll();
        TcpCloseTests.AssertNothingLeft(host);
    }

    [Fact]
    public async Task PendingReadFailsWhenReset()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var read = sc.Connection.Stream.ReadAsync(new byte[10]).AsTask();
        host.Inject(sc.Segment(TcpFlags.Rst));
        var io = await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(io.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task InWindowRstGetsChallengeAck()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        host.Inject(sc.Segment(TcpFlags.Rst, seq: sc.PeerNext + 100));
        var challenge = sc.Read();
        Assert.Equal(TcpFlags.Ack, challenge.Flags);
        Assert.Equal(sc.PeerNext, challenge.Ack);
        Assert.Equal(TcpState.Established, sc.Connection.State);
        Assert.Equal(1, host.Tcp.Stats.ChallengeAcks.Value);
    }

    [Fact]
    public async Task OutOfWindowRstIsIgnoredSilently()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        host.Inject(sc.Segment(TcpFlags.Rst, seq: sc.PeerNext + 10_000_000));
        host.Inject(sc.Segment(TcpFlags.Rst, seq: sc.PeerNext - 10_000));
        host.AssertNothingSent();
        Assert.Equal(TcpState.Established, sc.Connection.State);
    }

    [Fact]
    public async Task SynInEstablishedGetsChallengeAck()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        host.Inject(sc.Segment(TcpFlags.Syn, seq: sc.PeerNext + 5));
        var challenge = sc.Read();
        Assert.Equal(TcpFlags.Ack, challenge.Flags);
        Assert.Equal(sc.PeerNext, challenge.Ack);
        Assert.Equal(TcpState.Established, sc.Connection.State);
    }

    [Fact]
    public async Task ChallengeAcksAreRateLimited()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        for (int i = 0; i < 10; i++)
        {
            host.Inject(sc.Segment(TcpFlags.Rst, seq: sc.PeerNext + 100 + (uint)i));
        }
        Assert.Single(host.ReadAll());
        host.Advance(TimeSpan.FromMilliseconds(501));
        host.Inject(sc.Segment(TcpFlags.Syn, seq: sc.PeerNext + 7));
        Assert.Single(host.ReadAll());
        Assert.Equal(2, host.Tcp.Stats.ChallengeAcks.Value);
    }

    [Fact]
    public async Task AckOfUnsentDataIsDroppedWithAnAck()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        host.Inject(sc.Segment(TcpFlags.Ack, payload: [1, 2, 3], ack: sc.PeerAcked + 1000));
        var ack = sc.Read();
        Assert.Equal(sc.PeerNext, ack.Ack);
        Assert.Equal(1, host.Tcp.Stats.DroppedAckUnsent.Value);
        Assert.Equal(0, sc.Connection.GetStatistics().ReceiveQueueLength);
    }

    [Fact]
    public async Task AckTooFarBehindIsDropped()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, peerWindow: 1000, windowScale: -1);
        host.Inject(sc.Segment(TcpFlags.Ack, payload: [1], ack: sc.PeerAcked - 100_000));
        sc.Read();
        Assert.Equal(1, host.Tcp.Stats.DroppedOldAck.Value);
        Assert.Equal(0, sc.Connection.GetStatistics().ReceiveQueueLength);
    }

    [Fact]
    public async Task AbortSendsRstAndFailsPendingOperations()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var read = sc.Connection.ReadAsync(new byte[1]).AsTask();
        sc.Connection.Abort();
        var rst = sc.Read();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        var e = await Assert.ThrowsAsync<SocketException>(() => read.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.ConnectionAborted, e.SocketErrorCode);
        await sc.Connection.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await sc.Connection.ReadAsync(new byte[1]));
        TcpCloseTests.AssertNothingLeft(host);
    }

    [Fact]
    public async Task RstInTimeWaitOrLastAckCloses()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        host.Inject(sc.Segment(TcpFlags.Fin | TcpFlags.Ack));
        sc.PeerNext++;
        sc.Read();
        sc.Connection.ShutdownWrite();
        sc.Read();
        Assert.Equal(TcpState.LastAck, sc.Connection.State);
        host.Inject(sc.Segment(TcpFlags.Rst));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
    }
}

public class TcpDisposeTests
{
    [Fact]
    public async Task DisposingAbortsAPendingRead()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var read = sc.Connection.Stream.ReadAsync(new byte[10]).AsTask();
        await sc.Connection.DisposeAsync();
        var io = await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(System.Net.Sockets.SocketError.OperationAborted, Assert.IsType<System.Net.Sockets.SocketException>(io.InnerException).SocketErrorCode);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await sc.Connection.WriteAsync(new byte[1]));
        Assert.False(sc.Connection.Stream.CanRead);
    }
}
