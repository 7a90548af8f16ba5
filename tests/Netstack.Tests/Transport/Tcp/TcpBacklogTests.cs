using System.Reflection;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// The receive thread never waits for a connection's lock: while another thread holds it, segments go to
/// the backlog and timer work is flagged, and the holder runs both on its way out (Linux's socket backlog).
/// The lock is held here from a second thread through the connection's own entry point.
/// </summary>
public class TcpBacklogTests
{
    [Fact]
    public async Task SegmentsArrivingWhileTheLockIsHeldAreQueuedThenProcessedInOrder()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        using (var holder = LockHolder.Take(Endpoint(host)))
        {
            // Each inject runs the receive path on this thread: it must come back at once.
            var injecting = Task.Run(() =>
            {
                sc.SendData([1, 2]);
                sc.SendData([3]);
                sc.SendData([4, 5, 6], TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin);
            });
            Assert.True(await CompletesWithin(injecting), "the receive path waited for the lock");
            Assert.Equal(3, host.Tcp.Stats.Backlogged.Value);
            host.AssertNothingSent();
        }
        sc.PeerNext++;
        // Released: the holder ran the three segments, in order, and acknowledged all of them and the FIN.
        var acks = host.ReadAll();
        Assert.Equal(sc.PeerNext, acks[^1].Ack);
        var buffer = new byte[10];
        int n = 0;
        int r;
        while ((r = await sc.Connection.ReadAsync(buffer.AsMemory(n))) > 0)
        {
            n += r;
        }
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, buffer[..n]);
        Assert.Equal(TcpState.CloseWait, sc.Connection.State);
    }

    [Fact]
    public async Task TimersFiringWhileTheLockIsHeldRunWhenItIsReleased()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[100]);
        var data = sc.Read();
        using (LockHolder.Take(Endpoint(host)))
        {
            var advancing = Task.Run(() => host.Advance(TimeSpan.FromMilliseconds(250)));
            Assert.True(await CompletesWithin(advancing), "the timer thread waited for the lock");
            host.AssertNothingSent();
        }
        var retransmission = sc.Read();
        Assert.Equal(data.Seq, retransmission.Seq);
        Assert.Equal(1, sc.Connection.GetStatistics().Timeouts);
    }

    [Fact]
    public async Task TheBacklogIsBoundedByTheBuffers()
    {
        using var host = new TcpTestHost();
        // The backlog takes up to receive plus send buffer (charging each packet 256 bytes more than its size).
        var settings = new TcpConnectionSettings { ReceiveBufferSize = 65536, SendBufferSize = 2048 };
        var sc = await ScriptedConnection.ActiveAsync(host, settings);
        using (LockHolder.Take(Endpoint(host)))
        {
            var injecting = Task.Run(() =>
            {
                for (int i = 0; i < 200; i++)
                {
                    sc.SendData(new byte[100]);
                }
            });
            Assert.True(await CompletesWithin(injecting));
        }
        long dropped = host.Tcp.Stats.DroppedBacklogFull.Value;
        Assert.InRange(dropped, 1, 199);
        // What was queued went in order; the rest counts as lost, and the peer's retransmission fills it.
        var buffer = new byte[40_000];
        int n = await sc.Connection.ReadAsync(buffer);
        Assert.Equal((200 - (int)dropped) * 100, n);
        Assert.Equal(TcpState.Established, sc.Connection.State);
    }

    // The lock is held by LockHolder's own thread, so this thread may await while it is held.
    private static async Task<bool> CompletesWithin(Task task)
    {
        if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10))) != task)
        {
            return false;
        }
        await task;
        return true;
    }

    private static TcpEndpoint Endpoint(TcpTestHost host)
    {
        for (ushort port = 32768; port <= 60999; port++)
        {
            if (host.Stack.Demuxer.Find(6, new TransportEndpointId(port, TcpTestHost.Local, ScriptedConnection.PeerPort, TcpTestHost.Peer)) is TcpEndpoint ep)
            {
                return ep;
            }
        }
        throw new InvalidOperationException("No connection.");
    }

    /// <summary>Holds a connection's lock on a thread of its own (as an application call would) until disposed.</summary>
    private sealed class LockHolder : IDisposable
    {
        private readonly ManualResetEventSlim _taken = new();
        private readonly ManualResetEventSlim _release = new();
        private readonly Thread _thread;

        private LockHolder(TcpEndpoint endpoint)
        {
            var enter = typeof(TcpEndpoint).GetMethod("Enter", BindingFlags.NonPublic | BindingFlags.Instance)!;
            _thread = new Thread(() =>
            {
                var scope = (IDisposable)enter.Invoke(endpoint, null)!;
                _taken.Set();
                _release.Wait();
                scope.Dispose();
            });
            _thread.Start();
            Assert.True(_taken.Wait(TimeSpan.FromSeconds(10)));
        }

        public static LockHolder Take(TcpEndpoint endpoint) => new(endpoint);

        public void Dispose()
        {
            _release.Set();
            Assert.True(_thread.Join(TimeSpan.FromSeconds(10)));
        }
    }
}
