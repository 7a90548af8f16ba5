using Netstack.Buffers;
using Netstack.Link.FdBased;
using Netstack.Link.Tun;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

/// <summary>TUN and TAP devices in a namespace, with traffic from the kernel's own ping.</summary>
public class TunTapTests
{
    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void KernelPingIntoTunArrivesAsIcmpAndOurReplyReachesPing(bool virtioHeader)
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        using var ns = new NetNamespace();
        // With IFF_VNET_HDR every packet carries a virtio-net header: the endpoint strips and adds it.
        using var tun = ns.Enter(() => TunInterface.Open("nst0", TunMode.Tun, virtioHeader));
        ns.Check("ip addr add 192.0.2.1/24 dev nst0");
        ns.Check("ip link set nst0 up");
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [tun.Fd], Mtu = 1500, PacketDispatchMode = PacketDispatchMode.RecvMmsg });
        var recorder = new RecordingDispatcher();
        // Answer each echo request by turning it around (a tiny ICMP responder on top of the link).
        recorder.OnDeliver = (proto, pkt) =>
        {
            var ip = pkt.DataToArray();
            if (proto != NetworkProtocolNumber.IPv4 || ip[9] != 1 || ip[20] != 8)
            {
                return;
            }
            var reply = (byte[])ip.Clone();
            ip.AsSpan(12, 4).CopyTo(reply.AsSpan(16));
            ip.AsSpan(16, 4).CopyTo(reply.AsSpan(12));
            reply[20] = 0;
            reply[22] = reply[23] = 0;
            var sum = Netstack.Headers.Checksum.Compute(reply.AsSpan(20));
            reply[22] = (byte)(sum >> 8);
            reply[23] = (byte)sum;
            reply[10] = reply[11] = 0;
            sum = Netstack.Headers.Checksum.Compute(reply.AsSpan(0, 20));
            reply[10] = (byte)(sum >> 8);
            reply[11] = (byte)sum;
            var outPkt = PacketBuffer.Rent(0, reply);
            outPkt.NetworkProtocol = NetworkProtocolNumber.IPv4;
            ep.WritePackets([outPkt]);
            outPkt.Release();
        };
        ep.Attach(recorder);
        var ping = ns.Run("ping -c 3 -i 0.2 -W 2 192.0.2.2", TimeSpan.FromSeconds(15));
        // The kernel may also send IPv6 router solicitations; the first IPv4 packet is ping's.
        var got = recorder.Next();
        while (got is not null && got.Protocol != NetworkProtocolNumber.IPv4)
        {
            got = recorder.Next();
        }
        Assert.NotNull(got);
        var ip = new PacketDotNet.IPv4Packet(new PacketDotNet.Utils.ByteArraySegment(got.Data));
        Assert.Equal("192.0.2.1", ip.SourceAddress.ToString());
        Assert.Equal("192.0.2.2", ip.DestinationAddress.ToString());
        var icmp = ip.Extract<PacketDotNet.IcmpV4Packet>();
        Assert.Equal(PacketDotNet.IcmpV4TypeCode.EchoRequest, icmp.TypeCode);
        Assert.True(ping.ExitCode == 0, $"ping got no replies: {ping.Output}");
        Assert.Contains("3 received", ping.Output);
        Assert.True(ep.Statistics.PacketsSent >= 3);
    }

    [SkippableFact]
    public void KernelArpOnTapArrivesAsABroadcastFrame()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        using var ns = new NetNamespace();
        using var tap = ns.Enter(() => TunInterface.Open("nstap0", TunMode.Tap));
        ns.Check("ip addr add 192.0.2.1/24 dev nstap0");
        ns.Check("ip link set nstap0 up");
        var ours = LinkAddress.Parse("02:00:00:00:00:99");
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [tap.Fd], EthernetHeader = true, Address = ours });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        ns.Run("ping -c 1 -W 1 192.0.2.2", TimeSpan.FromSeconds(10));
        Delivered? arp = null;
        for (var d = recorder.Next(); d is not null; d = recorder.Next(1))
        {
            if (d.Protocol == NetworkProtocolNumber.Arp)
            {
                arp = d;
                break;
            }
        }
        Assert.NotNull(arp);
        Assert.Equal(PacketType.Broadcast, arp.Type);
        Assert.Equal(ns.MacOf("nstap0"), arp.Remote);
        var frame = PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Ethernet, [.. arp.LinkHeader, .. arp.Data]);
        var parsed = frame.Extract<PacketDotNet.ArpPacket>();
        Assert.Equal(PacketDotNet.ArpOperation.Request, parsed.Operation);
        Assert.Equal("192.0.2.2", parsed.TargetProtocolAddress.ToString());
    }

    [SkippableFact]
    public void DeletedTunEndsTheReaderOnceAndDisposeIsClean()
    {
        Privileges.RequireNetworkAdmin();
        var pool = new ChunkPool();
        using var ns = new NetNamespace();
        using var tun = ns.Enter(() => TunInterface.Open("nst1", TunMode.Tun));
        ns.Check("ip link set nst1 up");
        var errors = new System.Collections.Concurrent.ConcurrentBag<TcpipError>();
        var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [tun.Fd], ClosedCallback = errors.Add }, pool);
        ep.Attach(new RecordingDispatcher());
        ns.Check("ip link del nst1");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (errors.IsEmpty && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        ep.Dispose();
        Assert.Single(errors);
        Assert.Equal(0, pool.Outstanding);
    }

    [SkippableFact]
    public void HostGsoIsOfferedOnAVirtioTunOnly()
    {
        Privileges.RequireNetworkAdmin();
        using var ns = new NetNamespace();
        using var plain = ns.Enter(() => TunInterface.Open("nst2", TunMode.Tun));
        using var virtio = ns.Enter(() => TunInterface.Open("nst3", TunMode.Tun, virtioHeader: true));
        using (var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [plain.Fd], GsoMaxSize = 65536 }))
        {
            Assert.Equal(0, ep.GsoMaxSize);
        }
        using (var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [virtio.Fd], GsoMaxSize = 65536 }))
        {
            Assert.Equal(65536, ep.GsoMaxSize);
            Assert.True(ep.Capabilities.HasFlag(Netstack.Stack.LinkCapabilities.HardwareGso));
        }
    }
}
