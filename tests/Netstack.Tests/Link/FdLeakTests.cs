using Netstack.Buffers;
using Netstack.Interop;
using Netstack.Link.FdBased;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

/// <summary>Leak checks that count the process's fds (serial: other tests open fds in parallel).</summary>
[Collection(SerialCollection.Name)]
public class FdLeakTests
{
    [Fact]
    public void DetachReattachAndDisposeReleaseEverything()
    {
        var pool = new ChunkPool();
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], PacketDispatchMode = PacketDispatchMode.RecvMmsg }, pool);
        int fdsBefore = OpenFdCount();
        for (int round = 0; round < 3; round++)
        {
            var recorder = new RecordingDispatcher();
            ep.Attach(recorder);
            Assert.True(pool.Outstanding > 0);
            pair.Send(Frames.Ipv4Like(100, round));
            Assert.NotNull(recorder.Next());
            ep.Attach(null);
            Assert.False(ep.IsAttached);
            Assert.Equal(0, ep.RunningReaders);
            Assert.Equal(0, pool.Outstanding);
        }
        ep.Attach(new RecordingDispatcher());
        ep.Dispose();
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(fdsBefore, OpenFdCount());
    }

    [Fact]
    public void PacketMmapOnAUnixSocketIsRefusedAndNothingLeaks()
    {
        var pool = new ChunkPool();
        using var pair = new SocketPair();
        int before = FileNative.Fcntl(pair.Local, FileNative.F_GETFL, 0);
        int fds = OpenFdCount();
        var e = Assert.Throws<ArgumentException>(() => new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [pair.Local], PacketDispatchMode = PacketDispatchMode.PacketMmap,
        }, pool));
        Assert.Contains("AF_PACKET", e.Message);
        Assert.Equal(before, FileNative.Fcntl(pair.Local, FileNative.F_GETFL, 0));
        Assert.Equal(fds, OpenFdCount());
        Assert.Equal(0, pool.Outstanding);
    }

    // The kinds of fd the endpoint itself makes (stop eventfds; the fanout probe socket). Finalizers of earlier
    // tests' objects close other fds at any time, so the whole table is not a stable count.
    private static int OpenFdCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        int n = 0;
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                string? target = new FileInfo(fd).LinkTarget;
                if (target is not null && (target.Contains("eventfd", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal)))
                {
                    n++;
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }
        return n;
    }
}
