using System.Net;
using System.Net.Sockets;
using Netstack.Headers;
using Netstack.Sockets;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// RFC 6298 timer bounds and Karn's rule, the retransmission limit, and the user timeout (RFC 5482, Linux's
/// TCP_USER_TIMEOUT) in every state it governs: data, connect, keepalive. Fake time throughout.
/// </summary>
public class TcpTimeoutTests
{
    private static readonly IPEndPoint PeerEndPoint = new(TcpTestHost.Peer.ToIPAddress(), ScriptedConnection.PeerPort);

    [Fact]
    public async Task WithDefaultLimitsAnUnansweredConnectionGivesUpAfterFifteenRetransmissions()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[100]);
        sc.Read();
        var read = sc.Connection.ReadAsync(new byte[1]).AsTask();
        int retransmissions = 0;
        long elapsedMs = 0;
        var largestRto = TimeSpan.Zero;
        while (sc.Connection.State != TcpState.Closed && elapsedMs < 2_000_000)
        {
            host.Advance(TimeSpan.FromMilliseconds(100));
            elapsedMs += 100;
            retransmissions += host.ReadAll().Count;
            var rto = sc.Connection.GetStatistics().RetransmitTimeout;
            largestRto = rto > largestRto ? rto : largestRto;
        }
        // 200 ms doubling to the 120 s ceiling, then 120 s steps: Linux's tcp_retries2 = 15 gives the same ~924.6 s.
        Assert.Equal(15, retransmissions);
        // (Each expiry is seen at the next 100 ms step of the clock, so up to 1.6 s late in all.)
        Assert.InRange(elapsedMs, 924_000, 926_500);
        Assert.Equal(TimeSpan.FromSeconds(120), largestRto);
        var e = await Assert.ThrowsAsync<SocketException>(() => read.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        TcpCloseTests.AssertNothingLeft(host);
    }

    [Fact]
    public async Task TheRetransmissionTimeoutStopsGrowingAtItsMaximum()
    {
        using var host = new TcpTestHost(new TcpProtocolOptions { MaxRetransmitTimeout = TimeSpan.FromSeconds(1), MaxRetransmits = 8 });
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[100]);
        sc.Read();
        foreach (long ms in new long[] { 200, 400, 800, 1000, 1000, 1000 })
        {
            host.Advance(TimeSpan.FromMilliseconds(ms - 5));
            host.AssertNothingSent();
            host.Advance(TimeSpan.FromMilliseconds(10));
            Assert.Equal(100, sc.Read().Payload.Length);
        }
    }

    [Fact]
    public async Task KarnsRuleTakesNoSampleFromARetransmittedSegment()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var handshakeRtt = sc.Connection.GetStatistics().SmoothedRtt;
        await sc.Connection.WriteAsync(new byte[100]);
        var first = sc.Read();
        host.Advance(TimeSpan.FromMilliseconds(201));
        Assert.Equal(first.Seq, sc.Read().Seq);
        host.Advance(TimeSpan.FromMilliseconds(50));
        // Which copy does this ACK answer? Nobody knows: no sample (it would say 251 or 50 ms).
        sc.Acknowledge(first.Seq + 100);
        Assert.Equal(handshakeRtt, sc.Connection.GetStatistics().SmoothedRtt);
        // The acknowledgment of new data ends the backoff (RFC 6298 5.7 allows it; Linux does it).
        Assert.InRange(sc.Connection.GetStatistics().RetransmitTimeout.TotalMilliseconds, 200, 201);
        // A segment sent once is timed: SRTT moves by 1/8 of the 30 ms sample.
        await sc.Connection.WriteAsync(new byte[100]);
        var second = sc.Read();
        host.Advance(TimeSpan.FromMilliseconds(30));
        sc.Acknowledge(second.Seq + 100);
        Assert.InRange(sc.Connection.GetStatistics().SmoothedRtt.TotalMilliseconds, 3.7, 3.8);
    }

    [Fact]
    public async Task UserTimeoutCutsABackedOffRetransmissionTimerShort()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, new TcpConnectionSettings { UserTimeout = TimeSpan.FromSeconds(5) });
        await sc.Connection.WriteAsync(new byte[10]);
        sc.Read();
        // Retransmissions at 0.2, 0.6, 1.4 and 3.0 s; the next would be at 6.2 s, after the user timeout.
        host.AdvanceInSteps(TimeSpan.FromSeconds(4.95), TimeSpan.FromMilliseconds(50));
        Assert.Equal(4, host.ReadAll().Count);
        Assert.Equal(TcpState.Established, sc.Connection.State);
        host.AdvanceInSteps(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(10));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        var e = await Assert.ThrowsAsync<SocketException>(async () => await sc.Connection.ReadAsync(new byte[1]));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        TcpCloseTests.AssertNothingLeft(host);
    }

    [Fact]
    public async Task UserTimeoutBoundsAConnectAttempt()
    {
        using var host = new TcpTestHost();
        var connect = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint, new TcpConnectionSettings { UserTimeout = TimeSpan.FromSeconds(2.5) });
        Assert.Equal(TcpFlags.Syn, host.Read().Flags);
        host.AdvanceInSteps(TimeSpan.FromSeconds(2.4), TimeSpan.FromMilliseconds(100));
        // One retransmission at 1 s; the next (3 s) would come after the user timeout.
        Assert.Single(host.ReadAll());
        Assert.False(connect.IsCompleted);
        host.AdvanceInSteps(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(10));
        var e = await Assert.ThrowsAsync<SocketException>(() => connect.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        TcpCloseTests.AssertNothingLeft(host);
    }

    [Fact]
    public async Task WithAUserTimeoutKeepaliveGivesUpWhenItExpiresWithAProbeUnanswered()
    {
        using var host = new TcpTestHost();
        var settings = new TcpConnectionSettings
        {
            KeepAlive = true,
            KeepAliveTime = TimeSpan.FromSeconds(10),
            KeepAliveInterval = TimeSpan.FromSeconds(2),
            KeepAliveCount = 9,
            UserTimeout = TimeSpan.FromSeconds(5),
        };
        var sc = await ScriptedConnection.ActiveAsync(host, settings);
        host.Advance(TimeSpan.FromSeconds(10.1));
        var probe = sc.Read();
        Assert.Empty(probe.Payload);
        // Idle for 12 s with a probe out: past the 5 s user timeout, so no second probe but a RST.
        host.Advance(TimeSpan.FromSeconds(2.05));
        var rst = sc.Read();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(TcpState.Closed, sc.Connection.State);
        Assert.Equal(1, host.Tcp.Stats.KeepaliveTimeouts.Value);
    }
}
