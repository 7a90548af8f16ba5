using System.Diagnostics;
using Netstack.Buffers;
using Netstack.Link.FdBased;
using Netstack.Link.Tun;
using Netstack.Network.Arp;
using Netstack.Network.IPv4;
using Netstack.Stack;
using Netstack.Stack.Neighbors;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Network.IPv4;

/// <summary>
/// Our IPv4, ICMP and ARP against the Linux kernel: its ping, its fragmentation and reassembly, its ARP,
/// and a kernel router, through TUN and TAP devices in namespaces the tests create and remove.
/// </summary>
public sealed class Ipv4KernelTests
{
    private static readonly Address KernelSide = Address.Parse("192.0.2.1");
    private static readonly Address Us = Address.Parse("192.0.2.2");
    private static readonly LinkAddress OurMac = LinkAddress.Parse("02:00:00:00:01:02");

    /// <summary>A namespace with a TUN or TAP device whose kernel side is 192.0.2.1/24, and our stack (192.0.2.2/24) on it.</summary>
    private sealed class Host : IDisposable
    {
        private readonly TunInterface _device;

        public Host(TunMode mode, int mtu = 1500, bool virtioHeader = false)
        {
            Privileges.RequireNetworkAdmin();
            Privileges.RequireTool("ping");
            Namespace = new NetNamespace();
            try
            {
                Device = mode == TunMode.Tun ? "nst4" : "nstap4";
                _device = Namespace.Enter(() => TunInterface.Open(Device, mode, virtioHeader));
                Namespace.Run($"sysctl -qw net.ipv6.conf.{Device}.disable_ipv6=1");
                Namespace.Check($"ip link set {Device} mtu {mtu}");
                Namespace.Check($"ip addr add {KernelSide}/24 dev {Device}");
                Namespace.Check($"ip link set {Device} up");
                Link = new FdBasedEndpoint(new FdBasedEndpointOptions
                {
                    Fds = [_device.Fd],
                    Mtu = mtu,
                    EthernetHeader = mode == TunMode.Tap,
                    Address = mode == TunMode.Tap ? OurMac : default,
                });
                Stack = new NetworkStack(new StackOptions
                {
                    NetworkProtocols = [s => new Ipv4Protocol(s), s => new ArpProtocol(s)],
                    TransportProtocols = [_ => Udp],
                });
                Nic = Stack.CreateNic(1, Link);
                Stack.AddAddress(1, new AddressWithPrefix(Us, 24));
                Ip = (Ipv4Protocol)Stack.GetNetworkProtocol(NetworkProtocolNumber.IPv4)!;
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public NetNamespace Namespace { get; }

        public string Device { get; } = "";

        public FdBasedEndpoint Link { get; } = null!;

        public NetworkStack Stack { get; } = null!;

        public Nic Nic { get; } = null!;

        public Ipv4Protocol Ip { get; } = null!;

        public FakeUdpProtocol Udp { get; } = new();

        public RecordingEndpoint Listen(ushort port)
        {
            var ep = new RecordingEndpoint();
            Assert.Equal(TcpipError.None, Stack.Demuxer.Register(17, new TransportEndpointId(port, Address.AnyV4, 0, default), ep));
            return ep;
        }

        /// <summary>Sends a UDP datagram (checksum 0: none, legal on IPv4) from <paramref name="srcPort"/> to <paramref name="dst"/>.</summary>
        public TcpipError SendUdp(Address dst, ushort srcPort, ushort dstPort, byte[] payload, bool dontFragment = false)
        {
            var e = Stack.FindRoute(dst, out var route);
            if (e != TcpipError.None)
            {
                return e;
            }
            var p = PacketBuffer.Rent(route!.MaxHeaderLength, TestPackets.UdpSegment(srcPort, dstPort, payload));
            try
            {
                return route.WritePacket(p, new NetworkHeaderParams(17, DontFragment: dontFragment));
            }
            finally
            {
                p.Release();
            }
        }

        public void Dispose()
        {
            Stack?.Dispose();
            Link?.Dispose();
            _device?.Dispose();
            Namespace.Dispose();
        }
    }

    private static void AssertPing(Shell.Result ping, int count)
    {
        Assert.True(ping.ExitCode == 0, $"ping failed ({ping.ExitCode}): {ping.Output} {ping.Error}");
        Assert.Contains($"{count} received", ping.Output);
    }

    [SkippableFact]
    public void KernelPingThroughTunIsAnswered()
    {
        using var h = new Host(TunMode.Tun);
        AssertPing(h.Namespace.Run($"ping -c 3 -i 0.2 -W 2 {Us}", TimeSpan.FromSeconds(15)), 3);
        Assert.True(h.Ip.IcmpStats.EchoRepliesSent.Value >= 3);
        Assert.Equal(0, h.Ip.Stats.DroppedBadChecksum.Value);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void KernelPingWith4000BytesIsReassembledAndAnsweredInFragments(bool virtioHeader)
    {
        Privileges.RequireTool("tcpdump");
        Privileges.RequireTool("tshark");
        using var h = new Host(TunMode.Tun, virtioHeader: virtioHeader);
        using var capture = new Capture(h.Namespace, h.Device);
        AssertPing(h.Namespace.Run($"ping -c 2 -i 0.2 -W 2 -s 4000 {Us}", TimeSpan.FromSeconds(15)), 2);
        Assert.True(h.Ip.Stats.Reassembled.Value >= 2);
        Assert.True(h.Ip.Stats.FragmentsSent.Value >= 6);

        // tshark, an independent decoder, checks what we sent: every fragment's header checksum, and the
        // echo replies it reassembles from them (ICMP checksum over the whole message).
        var ours = capture.Fields($"ip.src == {Us}", "ip.checksum.status", "ip.flags.mf", "icmp.type", "icmp.checksum.status");
        Assert.Equal(6, ours.Count);
        Assert.All(ours, f => Assert.Equal("1", f[0])); // 1 = good
        var replies = ours.Where(f => f[2] == "0").ToList();
        Assert.Equal(2, replies.Count);
        Assert.All(replies, f => Assert.Equal("1", f[3]));
        Assert.Empty(capture.Fields("_ws.malformed || _ws.expert.severity >= error", "frame.number"));
    }

    [SkippableFact]
    public void KernelPingThroughTapResolvesBothWays()
    {
        Privileges.RequireTool("tcpdump");
        Privileges.RequireTool("tshark");
        using var h = new Host(TunMode.Tap);
        using var capture = new Capture(h.Namespace, h.Device);
        AssertPing(h.Namespace.Run($"ping -c 3 -i 0.2 -W 2 {Us}", TimeSpan.FromSeconds(15)), 3);
        // The kernel resolved us...
        var neigh = h.Namespace.Check($"ip neigh show {Us} dev {h.Device}").Output;
        Assert.Contains(OurMac.ToString(), neigh);
        // ...and we learned it from its request.
        var kernelMac = h.Namespace.MacOf(h.Device);
        var cache = h.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!;
        Assert.True(cache.TryGetEntry(KernelSide, out var entry));
        Assert.Equal(kernelMac, entry.LinkAddress);
        Assert.True(h.Stack.GetNetworkProtocol(NetworkProtocolNumber.Arp) is ArpProtocol { Stats.RepliesSent.Value: >= 1 });
        var arp = capture.Fields($"arp.opcode == 2 && arp.src.proto_ipv4 == {Us}", "arp.src.hw_mac", "arp.dst.proto_ipv4", "eth.dst");
        Assert.NotEmpty(arp);
        Assert.All(arp, f => Assert.Equal([OurMac.ToString(), KernelSide.ToString(), kernelMac.ToString()], f));

        // Now we resolve the kernel ourselves: forget it, send, and the kernel's answer (a port unreachable
        // for the closed port) comes back to the sending endpoint.
        cache.Clear();
        h.Namespace.Check($"ip neigh flush dev {h.Device}");
        var sender = h.Listen(40000);
        Assert.Equal(TcpipError.None, h.SendUdp(KernelSide, 40000, 9, [1, 2, 3]));
        Assert.True(SpinWait.SpinUntil(() => sender.Errors.Count > 0, TimeSpan.FromSeconds(5)), "no ICMP error from the kernel");
        Assert.Equal(TransportErrorKind.PortUnreachable, sender.Errors[0].Error.Kind);
        Assert.True(cache.TryGetEntry(KernelSide, out entry));
        Assert.Equal(kernelMac, entry.LinkAddress);
        Assert.True(h.Stack.GetNetworkProtocol(NetworkProtocolNumber.Arp) is ArpProtocol { Stats.RequestsSent.Value: >= 1 });
    }

    [SkippableFact]
    public void KernelPingWith4000BytesThroughTap()
    {
        using var h = new Host(TunMode.Tap);
        AssertPing(h.Namespace.Run($"ping -c 2 -i 0.2 -W 2 -s 4000 {Us}", TimeSpan.FromSeconds(15)), 2);
    }

    [SkippableFact]
    public void RepliesToAnotherNetworkGoThroughTheGateway()
    {
        using var h = new Host(TunMode.Tap);
        var far = "198.51.100.1";
        h.Namespace.Check($"ip addr add {far}/32 dev lo");
        // The kernel's ARP requests name its device address, not the far one it pings from.
        h.Namespace.Check($"sysctl -qw net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.{h.Device}.arp_announce=2");
        // Without a route back our host cannot answer.
        var first = h.Namespace.Run($"ping -c 1 -W 1 -I {far} {Us}", TimeSpan.FromSeconds(10));
        Assert.NotEqual(0, first.ExitCode);
        Assert.True(h.Ip.IcmpStats.SendNoRoute.Value >= 1);

        h.Stack.AddRoute(RouteEntry.Default(KernelSide, 1));
        Assert.Equal(TcpipError.None, h.Stack.FindRoute(Address.Parse(far), out var route));
        Assert.Equal(KernelSide, route!.NextHop);
        AssertPing(h.Namespace.Run($"ping -c 3 -i 0.2 -W 2 -I {far} {Us}", TimeSpan.FromSeconds(15)), 3);
        var cache = h.Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!;
        Assert.True(cache.TryGetEntry(KernelSide, out _));             // the gateway was resolved
        Assert.False(cache.TryGetEntry(Address.Parse(far), out _));     // the far address never is
    }

    [SkippableFact]
    public void KernelUdpOf4000BytesArrivesReassembledAndOursReachesTheKernel()
    {
        Privileges.RequireTool("socat");
        using var h = new Host(TunMode.Tun);
        var ep = h.Listen(7);
        var payload = new string('x', 4000);
        h.Namespace.Check($"sh -c \"printf '{payload}' | socat -u STDIN UDP4-SENDTO:{Us}:7,sourceport=5555\"");
        Assert.True(SpinWait.SpinUntil(() => ep.Packets.Count == 1, TimeSpan.FromSeconds(5)));
        Assert.Equal(4008, ep.Packets[0].Data.Length);
        Assert.True(h.Ip.Stats.Reassembled.Value >= 1);

        // And the other way: the kernel reassembles our fragments and hands the datagram to a socket.
        var output = Path.Combine(Path.GetTempPath(), $"nst-{Guid.NewGuid():N}");
        using var receiver = Process.Start(new ProcessStartInfo("ip",
            ["netns", "exec", h.Namespace.Name, "socat", "-u", $"UDP4-RECV:6000,bind={KernelSide}", $"OPEN:{output},creat"])
            { UseShellExecute = false })!;
        try
        {
            var sent = TestPackets.Pattern(4000);
            Assert.True(SpinWait.SpinUntil(() =>
            {
                Assert.Equal(TcpipError.None, h.SendUdp(KernelSide, 5555, 6000, sent));
                Thread.Sleep(100);
                return File.Exists(output) && new FileInfo(output).Length >= 4000;
            }, TimeSpan.FromSeconds(10)));
            Assert.Equal(sent, File.ReadAllBytes(output)[..4000]);
        }
        finally
        {
            receiver.Kill();
            receiver.WaitForExit();
            File.Delete(output);
        }
    }

    [SkippableFact]
    public void AKernelRouterTeachesUsThePathMtu()
    {
        // Us --TUN-- [router namespace, forwarding] --veth mtu 1280-- [far namespace 198.51.100.2]
        using var h = new Host(TunMode.Tun);
        using var far = new NetNamespace();
        h.Namespace.Check("sysctl -qw net.ipv4.ip_forward=1");
        h.Namespace.Check($"ip link add rt0 mtu 1280 type veth peer name far0 mtu 1280 netns {far.Name}");
        h.Namespace.Check("ip addr add 198.51.100.1/24 dev rt0");
        h.Namespace.Check("ip link set rt0 up");
        far.Check("ip addr add 198.51.100.2/24 dev far0");
        far.Check("ip link set far0 up");
        far.Check("ip route add default via 198.51.100.1");
        h.Stack.AddRoute(RouteEntry.Default(KernelSide, 1));
        var farAddress = Address.Parse("198.51.100.2");
        var sender = h.Listen(40001);

        Assert.Equal(TcpipError.None, h.SendUdp(farAddress, 40001, 9, new byte[1400], dontFragment: true));
        Assert.True(SpinWait.SpinUntil(() => sender.Errors.Count > 0, TimeSpan.FromSeconds(5)), $"no error; {h.Ip.IcmpStats}");
        Assert.Equal(new TransportError(TransportErrorKind.PacketTooBig, 1280), sender.Errors[0].Error with { QuotedWord = -1 });
        Assert.Equal(1280, h.Ip.PathMtu(h.Nic, farAddress));
        Assert.Equal(TcpipError.MessageTooLong, h.SendUdp(farAddress, 40001, 9, new byte[1400], dontFragment: true));

        // Without DF the datagram now leaves in fragments that fit, crosses the router, and the far host's
        // port unreachable comes back.
        Assert.Equal(TcpipError.None, h.SendUdp(farAddress, 40001, 9, new byte[1400]));
        Assert.True(SpinWait.SpinUntil(() => sender.Errors.Any(e => e.Error.Kind == TransportErrorKind.PortUnreachable), TimeSpan.FromSeconds(5)));
    }

    /// <summary>tcpdump on a device in a namespace for the life of the object; <see cref="Fields"/> reads it with tshark.</summary>
    private sealed class Capture : IDisposable
    {
        private readonly string _file = Path.Combine(Path.GetTempPath(), $"nst-{Guid.NewGuid():N}.pcap");
        private readonly Process _tcpdump;
        private bool _stopped;

        public Capture(NetNamespace ns, string device)
        {
            _tcpdump = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns.Name, "tcpdump", "--immediate-mode", "-i", device, "-U", "-s", "0", "-w", _file])
            {
                UseShellExecute = false,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            // tcpdump reports "listening on" once it captures.
            var started = new TaskCompletionSource();
            _tcpdump.ErrorDataReceived += (_, e) =>
            {
                if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true)
                {
                    started.TrySetResult();
                }
            };
            _tcpdump.BeginErrorReadLine();
            Assert.True(started.Task.Wait(TimeSpan.FromSeconds(10)), "tcpdump did not start");
        }

        /// <summary>The given fields of every captured packet that matches <paramref name="filter"/> (tshark reassembles fragments).</summary>
        public List<string[]> Fields(string filter, params string[] fields)
        {
            Stop();
            var args = string.Join(' ', fields.Select(f => $"-e {f}"));
            var output = Shell.Check($"tshark -r {_file} -o ip.check_checksum:TRUE -Y '{filter}' -T fields -E separator=/t {args}").Output;
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        }

        public void Dispose()
        {
            Stop();
            File.Delete(_file);
        }

        private void Stop()
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
            Thread.Sleep(200); // let the last packets reach the file (-U writes each packet at once)
            Shell.Run($"kill -INT {_tcpdump.Id}");
            if (!_tcpdump.WaitForExit(5000))
            {
                _tcpdump.Kill();
                _tcpdump.WaitForExit();
            }
            _tcpdump.Dispose();
        }
    }
}
