using Netstack.Buffers;
using Netstack.Link.FdBased;
using Netstack.Link.PacketSocket;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

/// <summary>AF_PACKET sockets on a veth pair inside a namespace the test creates: every dispatch mode through the public constructor, fanout, MAC filter, truncation, the ring stall.</summary>
public class PacketSocketTests
{
    private const ushort ExperimentalType = 0x88B5;

    [SkippableTheory]
    [InlineData(PacketDispatchMode.Readv)]
    [InlineData(PacketDispatchMode.RecvMmsg)]
    [InlineData(PacketDispatchMode.PacketMmap)]
    public void FramesFlowBothWaysInEveryMode(PacketDispatchMode mode)
    {
        Privileges.RequireNetworkAdmin();
        using var ns = new NetNamespace();
        _ = new VethPair(ns);
        using var ours = ns.Enter(() => PacketSocket.Open(VethPair.A));
        using var peer = ns.Enter(() => PacketSocket.Open(VethPair.B));
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [ours.Fd], EthernetHeader = true, Address = VethPair.MacA, PacketDispatchMode = mode,
        });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);

        // Peer -> us: frames injected at vb come out of va.
        for (int i = 0; i < 20; i++)
        {
            WriteFrame(peer.Fd, Frames.Ethernet(VethPair.MacA, VethPair.MacB, ExperimentalType, Frames.Random(100 + i, i)));
        }
        Assert.True(recorder.WaitForCount(20), $"got {recorder.Count} of 20");
        var all = recorder.Drain();
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(ExperimentalType, all[i].Protocol);
            Assert.Equal(Frames.Random(100 + i, i), all[i].Data);
            Assert.Equal(VethPair.MacB, all[i].Remote);
        }

        // Us -> peer, checked by PacketDotNet.
        var pkt = PacketBuffer.Rent(ep.MaxHeaderLength, Frames.Random(200, 99));
        pkt.NetworkProtocol = ExperimentalType;
        pkt.RemoteLinkAddress = VethPair.MacB;
        Assert.True(ep.WritePackets([pkt]).Ok);
        pkt.Release();
        var frame = SocketPair.ReadFrom(peer.Fd)!;
        var eth = (PacketDotNet.EthernetPacket)PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Ethernet, frame);
        Assert.Equal("02000000000A", eth.SourceHardwareAddress.ToString());
        Assert.Equal("02000000000B", eth.DestinationHardwareAddress.ToString());
        Assert.Equal(ExperimentalType, (ushort)eth.Type);
        Assert.Equal(Frames.Random(200, 99), eth.PayloadData);
    }

    [SkippableFact]
    public void FramesToAnotherMacAreDroppedAndCounted()
    {
        Privileges.RequireNetworkAdmin();
        using var ns = new NetNamespace();
        _ = new VethPair(ns);
        using var ours = ns.Enter(() => PacketSocket.Open(VethPair.A));
        using var peer = ns.Enter(() => PacketSocket.Open(VethPair.B));
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [ours.Fd], EthernetHeader = true, Address = VethPair.MacA, PacketDispatchMode = PacketDispatchMode.RecvMmsg,
        });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        WriteFrame(peer.Fd, Frames.Ethernet(LinkAddress.Parse("02:00:00:00:00:77"), VethPair.MacB, ExperimentalType, new byte[50]));
        WriteFrame(peer.Fd, Frames.Ethernet(LinkAddress.Broadcast, VethPair.MacB, ExperimentalType, new byte[50]));
        WriteFrame(peer.Fd, Frames.Ethernet(VethPair.MacA, VethPair.MacB, ExperimentalType, new byte[50]));
        Assert.True(recorder.WaitForCount(2));
        Assert.Equal(1, ep.Statistics.Drops(DropReason.OtherHost));
    }

    [SkippableFact]
    public void TwoSocketsShareOneFanoutGroupAndTwoEndpointsNeverCollide()
    {
        Privileges.RequireNetworkAdmin();
        using var ns = new NetNamespace();
        _ = new VethPair(ns);
        using var s1 = ns.Enter(() => PacketSocket.Open(VethPair.A));
        using var s2 = ns.Enter(() => PacketSocket.Open(VethPair.A));
        using var peer = ns.Enter(() => PacketSocket.Open(VethPair.B));
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [s1.Fd, s2.Fd], EthernetHeader = true, Address = VethPair.MacA, PacketDispatchMode = PacketDispatchMode.RecvMmsg,
        });
        Assert.InRange(ep.FanoutGroupId, 0, 0xFFFF);
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        // Many flows (IPv4 with varying addresses) so the hash spreads them over both sockets.
        for (int i = 0; i < 200; i++)
        {
            WriteFrame(peer.Fd, Frames.Ethernet(VethPair.MacA, VethPair.MacB, NetworkProtocolNumber.IPv4, Ipv4Udp(i)));
        }
        Assert.True(recorder.WaitForCount(200), $"got {recorder.Count} of 200");
        var threads = recorder.Drain().Select(d => d.ThreadId).Distinct().Count();
        Assert.Equal(2, threads);

        // Another endpoint in the same namespace (same device even) gets a different group, by either id source.
        using var s3 = ns.Enter(() => PacketSocket.Open(VethPair.A));
        using var s4 = ns.Enter(() => PacketSocket.Open(VethPair.A));
        using var other = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [s3.Fd], EthernetHeader = true });
        using var fallback = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [s4.Fd], EthernetHeader = true, ForceFanoutIdFallback = true });
        Assert.NotEqual(ep.FanoutGroupId, other.FanoutGroupId);
        Assert.NotEqual(ep.FanoutGroupId, fallback.FanoutGroupId);
        Assert.NotEqual(other.FanoutGroupId, fallback.FanoutGroupId);
    }

    [SkippableFact]
    public void RingTruncationIsDetected()
    {
        Privileges.RequireNetworkAdmin();
        using var ns = new NetNamespace();
        _ = new VethPair(ns, mtu: 9000);
        using var ours = ns.Enter(() => PacketSocket.Open(VethPair.A));
        using var peer = ns.Enter(() => PacketSocket.Open(VethPair.B));
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [ours.Fd], EthernetHeader = true, Address = VethPair.MacA, PacketDispatchMode = PacketDispatchMode.PacketMmap, RingFrameSize = 2048,
        });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        WriteFrame(peer.Fd, Frames.Ethernet(VethPair.MacA, VethPair.MacB, ExperimentalType, new byte[4000]));
        WriteFrame(peer.Fd, Frames.Ethernet(VethPair.MacA, VethPair.MacB, ExperimentalType, new byte[500]));
        var got = recorder.Next();
        Assert.NotNull(got);
        Assert.Equal(500, got.Data.Length);
        Assert.Equal(1, ep.Statistics.Drops(DropReason.Truncated));
    }

    [SkippableFact]
    public void RingOutOfStepWithTheKernelResynchronisesInsteadOfSpinning()
    {
        Privileges.RequireNetworkAdmin();
        using var ns = new NetNamespace();
        _ = new VethPair(ns);
        using var ours = ns.Enter(() => PacketSocket.Open(VethPair.A));
        using var peer = ns.Enter(() => PacketSocket.Open(VethPair.B));
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [ours.Fd], EthernetHeader = true, Address = VethPair.MacA, PacketDispatchMode = PacketDispatchMode.PacketMmap,
        });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        for (int i = 0; i < 3; i++)
        {
            WriteFrame(peer.Fd, Frames.Ethernet(VethPair.MacA, VethPair.MacB, ExperimentalType, Frames.Random(60, i)));
        }
        Assert.True(recorder.WaitForCount(3));
        Thread.Sleep(50);
        // Knock the reader's position off the kernel's (what gVisor issue 210 saw): it now waits on a kernel-owned frame.
        var ring = ep.RingOf(0)!;
        ring.Next = (ring.Next + 7) % ring.FrameCount;
        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 3; i < 6; i++)
        {
            WriteFrame(peer.Fd, Frames.Ethernet(VethPair.MacA, VethPair.MacB, ExperimentalType, Frames.Random(60, i)));
        }
        Assert.True(recorder.WaitForCount(6), $"got {recorder.Count} of 6 after the skew");
        Assert.True(ep.Statistics.RingResyncs >= 1);
        var data = recorder.Drain().Select(d => d.Data).ToList();
        Assert.Equal(Frames.Random(60, 3), data[3]);
        Assert.Equal(Frames.Random(60, 5), data[5]);
        Thread.Sleep(200);
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Assert.True(cpu < TimeSpan.FromSeconds(1), $"{cpu} of CPU: the reader spun");
    }

    [SkippableTheory]
    [InlineData(PacketDispatchMode.RecvMmsg)]
    [InlineData(PacketDispatchMode.PacketMmap)]
    public void SixtyFourKiBFramesPassWhole(PacketDispatchMode mode)
    {
        Privileges.RequireNetworkAdmin();
        using var ns = new NetNamespace();
        _ = new VethPair(ns, mtu: 65535);
        using var ours = ns.Enter(() => PacketSocket.Open(VethPair.A));
        using var peer = ns.Enter(() => PacketSocket.Open(VethPair.B));
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [ours.Fd], EthernetHeader = true, Address = VethPair.MacA, Mtu = 65535, PacketDispatchMode = mode,
        });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        var payload = Frames.Random(65535, 3);
        WriteFrame(peer.Fd, Frames.Ethernet(VethPair.MacA, VethPair.MacB, ExperimentalType, payload));
        Assert.Equal(payload, recorder.Next()!.Data);

        var pkt = PacketBuffer.Rent(ep.MaxHeaderLength, payload);
        pkt.NetworkProtocol = ExperimentalType;
        pkt.RemoteLinkAddress = VethPair.MacB;
        Assert.True(ep.WritePackets([pkt]).Ok);
        pkt.Release();
        var frame = SocketPair.ReadFrom(peer.Fd)!;
        Assert.Equal(payload, frame[14..]);
    }

    [SkippableFact]
    public void InterfaceRemovalEndsTheReaderThroughTheClosedCallback()
    {
        Privileges.RequireNetworkAdmin();
        using var ns = new NetNamespace();
        _ = new VethPair(ns);
        using var ours = ns.Enter(() => PacketSocket.Open(VethPair.A));
        var errors = new System.Collections.Concurrent.ConcurrentBag<TcpipError>();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [ours.Fd], EthernetHeader = true, ClosedCallback = errors.Add });
        ep.Attach(new RecordingDispatcher());
        ns.Check($"ip link del {VethPair.A}");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (errors.IsEmpty && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        Assert.Single(errors);
    }

    internal static unsafe void WriteFrame(int fd, byte[] frame)
    {
        fixed (byte* p = frame)
        {
            var n = Netstack.Interop.FileNative.Write(fd, p, (nuint)frame.Length);
            Assert.Equal(frame.Length, (int)n);
        }
    }

    private static byte[] Ipv4Udp(int i)
    {
        var udp = new PacketDotNet.UdpPacket((ushort)(10000 + i), 9);
        var ip = new PacketDotNet.IPv4Packet(System.Net.IPAddress.Parse($"10.{i % 200}.{i / 200}.1"), System.Net.IPAddress.Parse("10.9.9.9"))
        {
            PayloadPacket = udp,
        };
        udp.PayloadData = new byte[18];
        ip.UpdateCalculatedValues();
        return ip.Bytes;
    }
}
