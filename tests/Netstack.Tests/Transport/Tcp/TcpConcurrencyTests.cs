using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netstack.Sockets;
using Netstack.Tests.Infrastructure;
using Netstack.Transport.Tcp;
using TcpListener = Netstack.Sockets.TcpListener;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// Reads, writes, disposal and aborts racing each other from different threads on many connections: every
/// operation ends (none hangs), only the documented exception kinds come out, the stacks report no internal
/// error, and everything is released at the end.
/// </summary>
public class TcpConcurrencyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ReadWriteAndDisposeRacingFromDifferentThreadsIsSafe()
    {
        var options = new TcpProtocolOptions { TimeWaitDuration = TimeSpan.FromMilliseconds(100), FinWait2Timeout = TimeSpan.FromMilliseconds(500) };
        using var net = new TwoStacks(options: options);
        var listener = new TcpListener(net.B, IPAddress.Any, 80, new TcpConnectionSettings { SendBufferSize = 16384, ReceiveBufferSize = 16384 });
        listener.Start(backlog: 256);
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var serving = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            try
            {
                while (true)
                {
                    var s = await listener.AcceptAsync();
                    handlers.Add(Task.Run(() => Race(s, unexpected, seed: handlers.Count)));
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
            {
            }
            await Task.WhenAll(handlers);
        });
        var clients = Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            var c = await TcpConnection.ConnectAsync(net.A, net.EndPointB(80), new TcpConnectionSettings { SendBufferSize = 8192 });
            await Race(c, unexpected, seed: 1000 + i);
        })).ToArray();
        await Task.WhenAll(clients).WaitAsync(Timeout);
        listener.Stop();
        await serving.WaitAsync(Timeout);
        Assert.Empty(unexpected);
        await WaitFor(() => TcpProtocol.From(net.A).ActiveEndpoints == 0 && TcpProtocol.From(net.B).ActiveEndpoints == 0);
        Assert.Equal(0, net.A.Timers.Count);
        Assert.Equal(0, net.B.Timers.Count);
    }

    /// <summary>
    /// One reader, one writer and one closer (dispose, abort or stream dispose, after a random delay) on
    /// three threads; each must end within the timeout with a result or an allowed exception.
    /// </summary>
    private static async Task Race(TcpConnection c, System.Collections.Concurrent.ConcurrentQueue<Exception> unexpected, int seed)
    {
        var random = new Random(seed);
        int delayMs = random.Next(0, 30);
        int how = random.Next(3);
        var payload = new byte[random.Next(1, 40_000)];
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[8192];
            while (await (seed % 2 == 0 ? c.ReadAsync(buffer) : c.Stream.ReadAsync(buffer)) > 0)
            {
            }
        });
        var writer = Task.Run(async () =>
        {
            while (true)
            {
                await (seed % 3 == 0 ? c.Stream.WriteAsync(payload) : c.WriteAsync(payload));
            }
        });
        var closer = Task.Run(async () =>
        {
            await Task.Delay(delayMs);
            switch (how)
            {
                case 0:
                    await c.DisposeAsync();
                    break;
                case 1:
                    c.Abort();
                    await c.DisposeAsync();
                    break;
                default:
                    await c.Stream.DisposeAsync();
                    break;
            }
        });
        foreach (var task in new[] { reader, writer, closer })
        {
            try
            {
                await task.WaitAsync(Timeout);
            }
            catch (Exception e) when (IsAllowed(e))
            {
            }
            catch (Exception e)
            {
                unexpected.Enqueue(e);
            }
        }
    }

    private static bool IsAllowed(Exception e) => e switch
    {
        ObjectDisposedException => true,
        SocketException => true,
        IOException { InnerException: SocketException } => true,
        _ => false,
    };

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }
}

/// <summary>"No thread per connection": a thousand open connections do not cost a thousand threads.</summary>
[Collection(SerialCollection.Name)]
public class TcpThreadingTests
{
    [Fact]
    public async Task AThousandConnectionsAddNoThreads()
    {
        using var net = new TwoStacks();
        await using var listener = new TcpListener(net.B, IPAddress.Any, 80);
        listener.Start(backlog: 2048);
        int threadsBefore = Process.GetCurrentProcess().Threads.Count;
        var pairs = new List<(TcpConnection Client, TcpConnection Server)>();
        for (int batch = 0; batch < 10; batch++)
        {
            var connects = Enumerable.Range(0, 100).Select(_ => TcpConnection.ConnectAsync(net.A, net.EndPointB(80))).ToArray();
            foreach (var connect in connects)
            {
                var client = await connect.WaitAsync(TimeSpan.FromSeconds(60));
                var server = await listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
                pairs.Add((client, server));
            }
        }
        // Each has a read pending (the usual state of a server's connection) and one exchange done.
        var reads = pairs.Select(p => p.Server.ReadAsync(new byte[1]).AsTask()).ToArray();
        foreach (var (client, _) in pairs)
        {
            await client.WriteAsync(new byte[] { 1 });
        }
        await Task.WhenAll(reads).WaitAsync(TimeSpan.FromSeconds(60));
        int threadsAfter = Process.GetCurrentProcess().Threads.Count;
        Assert.True(threadsAfter - threadsBefore < 50, $"{threadsBefore} threads before, {threadsAfter} with 1,000 connections");
        Assert.Equal(2000, TcpProtocol.From(net.A).ActiveEndpoints + TcpProtocol.From(net.B).ActiveEndpoints - 1);
        foreach (var (client, server) in pairs)
        {
            client.Abort();
            server.Abort();
        }
    }
}
