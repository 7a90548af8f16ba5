using System.Diagnostics;
using Netstack.Buffers;
using Netstack.Interop;
using Netstack.Link.FdBased;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

/// <summary>Each of gVisor fdbased's known defects, with a test that would catch it.</summary>
public class KnownDefectTests
{
    private static readonly LinkAddress Laddr = LinkAddress.Parse("02:22:33:44:55:66");
    private static readonly LinkAddress Other = LinkAddress.Parse("02:99:99:99:99:99");
    private static readonly LinkAddress Raddr = LinkAddress.Parse("02:88:99:aa:bb:cc");

    [Theory]
    [InlineData(PacketDispatchMode.Readv)]
    [InlineData(PacketDispatchMode.RecvMmsg)]
    public void MalformedAndForeignFramesAreDroppedAndTheReaderKeepsRunning(PacketDispatchMode mode)
    {
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], EthernetHeader = true, Address = Laddr, PacketDispatchMode = mode });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        pair.Send(new byte[5]); // runt
        pair.Send(Frames.Ethernet(Other, Raddr, NetworkProtocolNumber.IPv4, new byte[40])); // another host
        pair.Send([]); // empty datagram
        pair.Send(Frames.Ethernet(Laddr, Raddr, NetworkProtocolNumber.IPv4, new byte[40]));
        Assert.NotNull(recorder.Next());
        Assert.Equal(1, ep.Statistics.Drops(DropReason.Runt));
        Assert.Equal(1, ep.Statistics.Drops(DropReason.OtherHost));
        Assert.Equal(1, ep.Statistics.Drops(DropReason.Empty));
        Assert.Equal(1, ep.RunningReaders);
    }

    [Fact]
    public void NonIpPacketInARecvMmsgBatchDropsOnlyItself()
    {
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        // Queue the whole batch before attaching so one recvmmsg takes all of it.
        for (int i = 0; i < 8; i++)
        {
            pair.Send(i == 2 ? Frames.Random(50, 1).Select(b => (byte)(b & 0x0f)).ToArray() : Frames.Ipv4Like(50, i));
        }
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], PacketDispatchMode = PacketDispatchMode.RecvMmsg });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        Assert.True(recorder.WaitForCount(7));
        Assert.Equal(1, ep.Statistics.Drops(DropReason.UnknownProtocol));
    }

    [Theory]
    [InlineData(PacketDispatchMode.Readv)]
    [InlineData(PacketDispatchMode.RecvMmsg)]
    public void SeqpacketPeerCloseEndsTheReaderOnceWithoutSpinning(PacketDispatchMode mode)
    {
        using var first = new SocketPair();
        using var second = new SocketPair();
        var errors = new System.Collections.Concurrent.ConcurrentBag<TcpipError>();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [first.Local, second.Local], PacketDispatchMode = mode, ClosedCallback = errors.Add,
        });
        ep.Attach(new RecordingDispatcher());
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        first.ClosePeer();
        second.ClosePeer();
        ep.Wait();
        Thread.Sleep(200);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal(TcpipError.ClosedForReceive, e));
        Assert.Equal(0, ep.RunningReaders);
        Assert.True(cpu < TimeSpan.FromSeconds(1), $"readers used {cpu} of CPU after the close");
        // Re-attaching does not restart a closed fd's reader nor call the callback again.
        ep.Attach(null);
        ep.Attach(new RecordingDispatcher());
        Thread.Sleep(100);
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public void EmptySeqpacketRecordIsNotTakenForEndOfFile()
    {
        using var pair = new SocketPair();
        int closed = 0;
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [pair.Local], PacketDispatchMode = PacketDispatchMode.RecvMmsg, ClosedCallback = _ => Interlocked.Increment(ref closed),
        });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        pair.Send([]);
        pair.Send(Frames.Ipv4Like(30, 1));
        Assert.NotNull(recorder.Next());
        Assert.Equal(0, closed);
        Assert.Equal(1, ep.Statistics.Drops(DropReason.Empty));
    }

    [Fact]
    public void DetachFromTheClosedCallbackOnAReaderThreadDoesNotDeadlock()
    {
        using var first = new SocketPair();
        using var second = new SocketPair();
        FdBasedEndpoint? ep = null;
        var done = new ManualResetEventSlim();
        ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [first.Local, second.Local],
            ClosedCallback = _ =>
            {
                ep!.Attach(null);
                ep.Wait();
                ep.Dispose();
                done.Set();
            },
        });
        ep.Attach(new RecordingDispatcher());
        first.ClosePeer();
        Assert.True(done.Wait(TimeSpan.FromSeconds(10)), "the closed callback's detach did not return");
        ep.Wait();
        Assert.Equal(0, ep.RunningReaders);
        Assert.Equal(0, ep.Statistics.ReaderStopTimeouts);
    }

    [Fact]
    public void DetachUnderFullReceiveLoadIsBounded()
    {
        var pool = new ChunkPool();
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], PacketDispatchMode = PacketDispatchMode.RecvMmsg }, pool);
        var counter = new CountingDispatcher();
        ep.Attach(counter);
        using var stopWriter = new CancellationTokenSource();
        var writer = new Thread(() => Flood(pair.Peer, stopWriter.Token));
        writer.Start();
        while (counter.Count < 20_000)
        {
            Thread.Sleep(5);
        }
        var sw = Stopwatch.StartNew();
        ep.Attach(null);
        sw.Stop();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"detach took {sw.Elapsed}");
        Assert.Equal(0, ep.RunningReaders);
        // Re-attach under the same load, then dispose under load.
        ep.Attach(counter);
        long before = counter.Count;
        while (counter.Count < before + 10_000)
        {
            Thread.Sleep(5);
        }
        ep.Dispose();
        stopWriter.Cancel();
        Assert.True(writer.Join(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void TruncatedDatagramIsDetectedUnderRecvMmsgAndReadv()
    {
        foreach (var mode in new[] { PacketDispatchMode.RecvMmsg, PacketDispatchMode.Readv })
        {
            using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
            SocketNative.SetInt(pair.Peer, SocketNative.SOL_SOCKET, SocketNative.SO_SNDBUFFORCE, 1 << 20);
            using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], PacketDispatchMode = mode });
            var recorder = new RecordingDispatcher();
            ep.Attach(recorder);
            pair.Send(Frames.Ipv4Like(70_000, 1));
            pair.Send(Frames.Ipv4Like(100, 2));
            Assert.Equal(Frames.Ipv4Like(100, 2), recorder.Next()!.Data);
            Assert.Equal(1, ep.Statistics.Drops(DropReason.Truncated));
        }
    }

    [Fact]
    public void ReadShorterThanTheVirtioHeaderIsDropped()
    {
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], GsoMaxSize = 32768 });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        pair.Send(new byte[4]);
        pair.Send(new byte[10]);
        var withHeader = new byte[10].Concat(Frames.Ipv4Like(40, 7)).ToArray();
        pair.Send(withHeader);
        Assert.Equal(Frames.Ipv4Like(40, 7), recorder.Next()!.Data);
        Assert.Equal(1, ep.Statistics.Drops(DropReason.ShortVirtioHeader));
        Assert.Equal(1, ep.Statistics.Drops(DropReason.Empty));
    }

    [Fact]
    public void ThrowingDispatcherLosesThePacketNotTheReader()
    {
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local] });
        int calls = 0;
        var recorder = new RecordingDispatcher
        {
            OnDeliver = (_, _) =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    throw new InvalidOperationException("boom");
                }
            },
        };
        ep.Attach(recorder);
        pair.Send(Frames.Ipv4Like(40, 1));
        pair.Send(Frames.Ipv4Like(40, 2));
        Assert.Equal(Frames.Ipv4Like(40, 2), recorder.Next()!.Data);
        Assert.Equal(1, ep.Statistics.Drops(DropReason.DispatcherFault));
    }

    [Fact]
    public void PipeWriterCloseEndsTheReaderThroughTheCallback()
    {
        using var pipe = new Pipe();
        var errors = new System.Collections.Concurrent.ConcurrentBag<TcpipError>();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pipe.Read], ClosedCallback = errors.Add });
        ep.Attach(new RecordingDispatcher());
        pipe.CloseWrite();
        ep.Wait();
        Assert.Equal([TcpipError.ClosedForReceive], errors.ToArray());
    }

    private static unsafe void Flood(int fd, CancellationToken token)
    {
        var frame = Frames.Ipv4Like(64, 1);
        fixed (byte* p = frame)
        {
            var pfd = new PollFd { Fd = fd, Events = PollNative.POLLOUT };
            var timeout = new TimeSpec { Nanoseconds = 10_000_000 };
            FileNative.SetNonBlocking(fd, true);
            while (!token.IsCancellationRequested)
            {
                if (FileNative.Write(fd, p, (nuint)frame.Length) < 0)
                {
                    PollNative.PPoll(&pfd, 1, &timeout, null);
                }
            }
        }
    }

    private static int OpenFdCount() => Directory.GetFiles("/proc/self/fd").Length;
}
