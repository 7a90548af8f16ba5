using System.Net;
using Netstack.Sockets;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// Simultaneous open and close between two of our stacks (RFC 9293 figures 7 and 13): the cable drops
/// everything while both sides start, so the retransmitted SYNs (or FINs) cross.
/// </summary>
public class TcpSimultaneousTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TcpProtocolOptions Fast = new()
    {
        InitialRetransmitTimeout = TimeSpan.FromMilliseconds(200),
        MinRetransmitTimeout = TimeSpan.FromMilliseconds(50),
        TimeWaitDuration = TimeSpan.FromMilliseconds(200),
    };

    [Fact]
    public async Task BothSidesConnectingToEachOtherMeetInOneConnection()
    {
        var cable = new TwoStacks.Faults(1, drop: 1.0);
        using var net = new TwoStacks(cable, Fast);
        var a = new IPEndPoint(TwoStacks.AddressA.ToIPAddress(), 1111);
        var b = new IPEndPoint(TwoStacks.AddressB.ToIPAddress(), 2222);
        var fromA = TcpConnection.ConnectAsync(net.A, b, a);
        var fromB = TcpConnection.ConnectAsync(net.B, a, b);
        await Task.Delay(50);
        cable.Drop = 0;
        await using var ca = await fromA.WaitAsync(Timeout);
        await using var cb = await fromB.WaitAsync(Timeout);
        Assert.Equal(TcpState.Established, ca.State);
        Assert.Equal(TcpState.Established, cb.State);
        Assert.True(TcpProtocol.From(net.A).Stats.PassiveOpens.Value == 0 && TcpProtocol.From(net.B).Stats.PassiveOpens.Value == 0);
        await Exchange(ca, cb);
    }

    [Fact]
    public async Task BothSidesClosingAtOnceEndInTimeWaitThenClosed()
    {
        var cable = new TwoStacks.Faults(2);
        using var net = new TwoStacks(cable, Fast);
        await using var listener = new Netstack.Sockets.TcpListener(net.B, IPAddress.Any, 2222);
        listener.Start();
        var accept = listener.AcceptAsync();
        await using var ca = await TcpConnection.ConnectAsync(net.A, net.EndPointB(2222)).WaitAsync(Timeout);
        await using var cb = await accept.AsTask().WaitAsync(Timeout);
        await Exchange(ca, cb);
        cable.Drop = 1.0;
        ca.ShutdownWrite();
        cb.ShutdownWrite();
        Assert.Equal(TcpState.FinWait1, ca.State);
        Assert.Equal(TcpState.FinWait1, cb.State);
        await Task.Delay(20);
        cable.Drop = 0;
        // Both read the end of the stream and pass through CLOSING or FIN-WAIT-2 to TIME-WAIT, then CLOSED.
        Assert.Equal(0, await ca.ReadAsync(new byte[1]).AsTask().WaitAsync(Timeout));
        Assert.Equal(0, await cb.ReadAsync(new byte[1]).AsTask().WaitAsync(Timeout));
        await WaitFor(() => ca.State == TcpState.Closed && cb.State == TcpState.Closed);
        Assert.Equal(0, ca.GetStatistics().SendQueueLength);
        listener.Stop();
        await WaitFor(() => TcpProtocol.From(net.A).ActiveEndpoints == 0 && TcpProtocol.From(net.B).ActiveEndpoints == 0);
    }

    private static async Task Exchange(TcpConnection x, TcpConnection y)
    {
        await x.WriteAsync("ping"u8.ToArray());
        await y.WriteAsync("pong"u8.ToArray());
        var buffer = new byte[4];
        Assert.Equal(4, await ReadExactly(y, buffer));
        Assert.Equal("ping"u8.ToArray(), buffer);
        Assert.Equal(4, await ReadExactly(x, buffer));
        Assert.Equal("pong"u8.ToArray(), buffer);
    }

    private static async Task<int> ReadExactly(TcpConnection c, byte[] buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = await c.ReadAsync(buffer.AsMemory(got)).AsTask().WaitAsync(Timeout);
            if (n == 0)
            {
                break;
            }
            got += n;
        }
        return got;
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(10);
        }
    }
}
