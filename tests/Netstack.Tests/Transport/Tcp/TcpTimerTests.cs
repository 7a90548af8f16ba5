using System.Net.Sockets;
using Netstack.Headers;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>Delayed ACK, Nagle, keepalive.</summary>
public class TcpTimerTests
{
    [Fact]
    public async Task SmallSegmentIsAcknowledgedAfterTheDelayedAckTimeout()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.SendData([1]);
        host.Advance(TimeSpan.FromMilliseconds(39));
        host.AssertNothingSent();
        host.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal(sc.PeerNext, sc.Read().Ack);
    }

    [Fact]
    public async Task ReplyDataCarriesTheDelayedAck()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.SendData([1]);
        await sc.Connection.WriteAsync(new byte[] { 2 });
        var reply = sc.Read();
        Assert.Equal(sc.PeerNext, reply.Ack);
        Assert.Single(reply.Payload);
        host.Advance(TimeSpan.FromMilliseconds(100));
        host.AssertNothingSent();
    }

    [Fact]
    public async Task TwoFullSegmentsAreAcknowledgedAtOnce()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        for (int i = 0; i < 16; i++)
        {
            sc.SendData(new byte[1448]);
            host.ReadAll();
        }
        // Quick ACK mode is over: now every second full segment is acknowledged.
        sc.SendData(new byte[1448]);
        host.AssertNothingSent();
        sc.SendData(new byte[1448]);
        Assert.Equal(sc.PeerNext, sc.Read().Ack);
    }

    [Fact]
    public async Task NagleHoldsASmallSegmentWhileAnotherIsUnacknowledged()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[] { 1 });
        var first = sc.Read();
        await sc.Connection.WriteAsync(new byte[] { 2 });
        await sc.Connection.WriteAsync(new byte[] { 3 });
        host.AssertNothingSent();
        sc.Acknowledge(first.Seq + 1);
        var coalesced = sc.Read();
        Assert.Equal(new byte[] { 2, 3 }, coalesced.Payload);
    }

    [Fact]
    public async Task NoDelaySendsSmallSegmentsAtOnce()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, new TcpConnectionSettings { NoDelay = true });
        await sc.Connection.WriteAsync(new byte[] { 1 });
        await sc.Connection.WriteAsync(new byte[] { 2 });
        Assert.Equal(2, host.ReadAll().Count);
    }

    [Fact]
    public async Task FlushPushesWhatNagleHolds()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[] { 1 });
        sc.Read();
        await sc.Connection.WriteAsync(new byte[] { 2 });
        host.AssertNothingSent();
        await sc.Connection.Stream.FlushAsync();
        Assert.Equal(new byte[] { 2 }, sc.Read().Payload);
    }

    [Fact]
    public async Task KeepaliveProbesAnIdleConnectionAndDropsItWhenUnanswered()
    {
        using var host = new TcpTestHost();
        var settings = new TcpConnectionSettings { KeepAlive = true, KeepAliveTime = TimeSpan.FromSeconds(10), KeepAliveInterval = TimeSpan.FromSeconds(2), KeepAliveCount = 3 };
        var sc = await ScriptedConnection.ActiveAsync(host, settings);
        host.Advance(TimeSpan.FromSeconds(9.9));
        host.AssertNothingSent();
        host.Advance(TimeSpan.FromSeconds(0.2));
        var probe = sc.Read();
        Assert.Equal(sc.PeerAcked - 1, probe.Seq);
        Assert.Empty(probe.Payload);
        // Answered: the connection stays and the idle clock restarts.
        sc.Acknowledge(sc.PeerAcked);
        host.Advance(TimeSpan.FromSeconds(9.9));
        host.AssertNothingSent();
        host.Advance(TimeSpan.FromSeconds(0.2));
        sc.Read();
        var read = sc.Connection.ReadAsync(new byte[1]).AsTask();
        for (int i = 0; i < 3; i++)
        {
            host.Advance(TimeSpan.FromSeconds(2.05));
        }
        // Two more probes, then the count is reached: a RST tells the peer (as Linux does), and the connection ends.
        var sent = host.ReadAll();
        Assert.Equal(3, sent.Count);
        Assert.All(sent.Take(2), p => Assert.Equal(sc.PeerAcked - 1, p.Seq));
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, sent[2].Flags);
        var e = await Assert.ThrowsAsync<SocketException>(() => read.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        Assert.Equal(1, host.Tcp.Stats.KeepaliveTimeouts.Value);
    }

    [Fact]
    public async Task KeepaliveIsOffByDefault()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        Assert.False(sc.Connection.KeepAlive);
        host.Advance(TimeSpan.FromHours(3));
        host.AssertNothingSent();
        Assert.Equal(TcpState.Established, sc.Connection.State);
        sc.Connection.KeepAlive = true;
        Assert.True(host.Stack.Timers.Count > 0);
    }
}
