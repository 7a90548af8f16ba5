using System.Net;
using Netstack.Headers;
using Netstack.Transport.Tcp;
using TcpListener = Netstack.Sockets.TcpListener;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>SYN queue, accept queue and SYN cookies.</summary>
public class TcpListenerTests
{
    private static TestSegment Syn(ushort port, uint seq, byte[]? options = null) =>
        new() { SourcePort = port, DestinationPort = 80, Seq = seq, Flags = TcpFlags.Syn, Options = options ?? TestSegment.SynOptions(1460) };

    [Fact]
    public async Task FullSynQueueAnswersWithCookiesAndAValidCookieCompletesTheHandshake()
    {
        using var host = new TcpTestHost(new TcpProtocolOptions { MaxSynBacklog = 2 });
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start(backlog: 16);
        host.Inject(Syn(1001, 100));
        host.Inject(Syn(1002, 200));
        Assert.Equal(2, host.ReadAll().Count);
        Assert.Equal(0, host.Tcp.Stats.SynCookiesSent.Value);
        // The third SYN finds the queue full: a cookie, and no state.
        int endpoints = host.Tcp.ActiveEndpoints;
        host.Inject(Syn(1003, 300, TestSegment.SynOptions(1400)));
        var cookieSynAck = host.Read();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, cookieSynAck.Flags);
        Assert.Equal(301u, cookieSynAck.Ack);
        Assert.Equal(1, host.Tcp.Stats.SynCookiesSent.Value);
        Assert.Equal(endpoints, host.Tcp.ActiveEndpoints);
        // The ACK brings the cookie back: a connection, with data.
        var accept = listener.AcceptAsync();
        host.Inject(new TestSegment { SourcePort = 1003, DestinationPort = 80, Seq = 301, Ack = cookieSynAck.Seq + 1, Flags = TcpFlags.Ack | TcpFlags.Psh, Payload = [5, 6, 7] });
        await using var c = await accept.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1003, c.RemoteEndPoint.Port);
        var buffer = new byte[10];
        Assert.Equal(3, await c.ReadAsync(buffer));
        Assert.Equal(1, host.Tcp.Stats.SynCookiesValid.Value);
        // MSS 1400 is rounded down to the table's 1300.
        Assert.Equal(1300, c.GetStatistics().SendMss);
    }

    [Fact]
    public async Task ForgedCookieDrawsRst()
    {
        using var host = new TcpTestHost(new TcpProtocolOptions { SynCookies = SynCookieMode.Always });
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        host.Inject(Syn(1003, 300));
        var synAck = host.Read();
        host.Inject(new TestSegment { SourcePort = 1003, DestinationPort = 80, Seq = 301, Ack = synAck.Seq + 77, Flags = TcpFlags.Ack });
        var rst = host.Read();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(1, host.Tcp.Stats.SynCookiesInvalid.Value);
        Assert.Equal(0, listener.PendingConnections);
        // An old cookie (over two periods of 64 s) is refused too.
        host.Inject(Syn(1004, 500));
        var old = host.Read();
        host.Advance(TimeSpan.FromSeconds(200));
        host.Inject(new TestSegment { SourcePort = 1004, DestinationPort = 80, Seq = 501, Ack = old.Seq + 1, Flags = TcpFlags.Ack });
        Assert.Equal(TcpFlags.Rst, host.Read().Flags);
    }

    [Fact]
    public async Task CookiesCarryWindowScaleAndSackInTheTimestamp()
    {
        using var host = new TcpTestHost(new TcpProtocolOptions { SynCookies = SynCookieMode.Always });
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        host.Inject(Syn(1005, 900, TestSegment.SynOptions(1460, 6, true, 4242)));
        var synAck = host.Read();
        var o = synAck.ParsedOptions;
        Assert.True(o.HasTimestamps && o.SackPermitted && o.HasWindowScale);
        Assert.Equal(4242u, o.TimestampEcho);
        var accept = listener.AcceptAsync();
        host.Inject(new TestSegment
        {
            SourcePort = 1005,
            DestinationPort = 80,
            Seq = 901,
            Ack = synAck.Seq + 1,
            Flags = TcpFlags.Ack,
            Window = 100,
            Options = TestSegment.TimestampOption(4243, o.TimestampValue),
        });
        await using var c = await accept.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        var stats = c.GetStatistics();
        Assert.True(stats.SackEnabled);
        Assert.True(stats.TimestampsEnabled);
        Assert.Equal(6, stats.SendWindowScale);
        Assert.Equal(100 << 6, stats.PeerWindow);
        // Our later timestamps do not go back from the cookie's.
        await c.WriteAsync(new byte[] { 1 });
        var data = host.Read();
        Assert.True(unchecked((int)(data.ParsedOptions.TimestampValue - o.TimestampValue)) >= 0);
    }

    [Fact]
    public async Task WithoutCookiesAFullSynQueueDropsSyns()
    {
        using var host = new TcpTestHost(new TcpProtocolOptions { MaxSynBacklog = 1, SynCookies = SynCookieMode.Never });
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        host.Inject(Syn(1001, 100));
        host.Read();
        host.Inject(Syn(1002, 200));
        host.AssertNothingSent();
        Assert.Equal(1, host.Tcp.Stats.SynQueueDrops.Value);
    }

    [Fact]
    public async Task FullAcceptQueueDropsTheHandshakeUntilThereIsRoom()
    {
        using var host = new TcpTestHost();
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start(backlog: 1);
        host.Inject(Syn(1001, 100));
        var a = host.Read();
        host.Inject(new TestSegment { SourcePort = 1001, DestinationPort = 80, Seq = 101, Ack = a.Seq + 1, Flags = TcpFlags.Ack });
        Assert.Equal(1, listener.PendingConnections);
        // Accept queue full: a new SYN is dropped.
        host.Inject(Syn(1002, 200));
        host.AssertNothingSent();
        Assert.Equal(1, host.Tcp.Stats.ListenOverflows.Value);
        await using var first = await listener.AcceptAsync();
        host.Inject(Syn(1002, 200));
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, host.Read().Flags);
    }

    [Fact]
    public async Task ManyConnectionsThroughOneListener()
    {
        using var host = new TcpTestHost();
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start(backlog: 1000);
        for (ushort p = 2000; p < 2500; p++)
        {
            host.Inject(Syn(p, p * 10u));
            var synAck = host.Read();
            host.Inject(new TestSegment { SourcePort = p, DestinationPort = 80, Seq = p * 10u + 1, Ack = synAck.Seq + 1, Flags = TcpFlags.Ack });
        }
        Assert.Equal(500, listener.PendingConnections);
        var seen = new HashSet<int>();
        for (int i = 0; i < 500; i++)
        {
            await using var c = await listener.AcceptAsync();
            Assert.True(seen.Add(c.RemoteEndPoint.Port));
            c.Abort();
        }
        Assert.Equal(1, host.Tcp.ActiveEndpoints);
    }
}
