using System.Diagnostics;
using Netstack.Link.FdBased;
using Netstack.Stack;
using Netstack.Stack.Neighbors;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Network.IPv6;

/// <summary>
/// The kernel's own ping -6, UDP sockets, NDP, DAD and routing against our IPv6 stack, through TUN, TAP and veth
/// (AF_PACKET, every dispatch mode) in a namespace each test creates; what we send is also decoded by tshark.
/// </summary>
public sealed class Ipv6KernelTests
{
    [SkippableTheory]
    [InlineData(PeerLink.Tun, PacketDispatchMode.Readv)]
    [InlineData(PeerLink.Tun, PacketDispatchMode.RecvMmsg)]
    [InlineData(PeerLink.Tap, PacketDispatchMode.RecvMmsg)]
    [InlineData(PeerLink.Veth, PacketDispatchMode.Readv)]
    [InlineData(PeerLink.Veth, PacketDispatchMode.RecvMmsg)]
    [InlineData(PeerLink.Veth, PacketDispatchMode.PacketMmap)]
    internal void KernelPingGetsReplies(PeerLink link, PacketDispatchMode dispatch)
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        using var peer = new KernelPeer(link, dispatch: dispatch);

        var ping = peer.Namespace.Run($"ping -6 -c 3 -i 0.2 -W 2 {KernelPeer.OurAddress}", TimeSpan.FromSeconds(15));

        Assert.True(ping.ExitCode == 0, ping.Output + ping.Error);
        Assert.Contains("3 received", ping.Output);
        Assert.True(peer.Ip.IcmpStats.EchoRepliesSent.Value >= 3);
        if (link != PeerLink.Tun)
        {
            // The kernel resolved us by NDP: its neighbour table has our MAC.
            var neigh = peer.Namespace.Check($"ip -6 neigh show dev {peer.Device}").Output;
            Assert.Contains($"{KernelPeer.OurAddress} lladdr {peer.Mac}", neigh);
            Assert.True(peer.Ip.IcmpStats.NeighborSolicitationsReceived.Value >= 1);
            Assert.True(peer.Ip.IcmpStats.NeighborAdvertisementsSent.Value >= 1);
        }
    }

    [SkippableTheory]
    [InlineData(PeerLink.Tun)]
    [InlineData(PeerLink.Tap)]
    [InlineData(PeerLink.Veth)]
    internal void LargePingIsFragmentedBothWays(PeerLink link)
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        using var peer = new KernelPeer(link);

        var ping = peer.Namespace.Run($"ping -6 -c 2 -i 0.2 -W 2 -s 4000 {KernelPeer.OurAddress}", TimeSpan.FromSeconds(15));

        Assert.True(ping.ExitCode == 0, ping.Output + ping.Error);
        Assert.Contains("2 received", ping.Output);
        Assert.True(peer.Ip.Stats.PacketsReassembled.Value >= 2);
        Assert.True(peer.Ip.Stats.PacketsFragmented.Value >= 2);
        // The kernel reassembled our fragments: its counters saw them.
        var snmp = peer.Namespace.Check("cat /proc/net/snmp6").Output;
        Assert.True(Counter(snmp, "Ip6ReasmOKs") >= 2, snmp);
    }

    [SkippableFact]
    public void KernelPingsOurLinkLocalAddressOnTap()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        using var peer = new KernelPeer(PeerLink.Tap);
        var linkLocal = Netstack.Network.IPv6.Ipv6Address.LinkLocal(KernelPeer.OurMac);
        Assert.Equal(AddressKind.LinkLocal, peer.Nic.FindAddress(linkLocal)!.Kind);

        var ping = peer.Namespace.Run($"ping -6 -c 2 -i 0.2 -W 2 {linkLocal}%{peer.Device}", TimeSpan.FromSeconds(15));

        Assert.True(ping.ExitCode == 0, ping.Output + ping.Error);
        Assert.Contains("2 received", ping.Output);
    }

    [SkippableFact]
    public void KernelPingToAllNodesIsAnsweredFromOurLinkLocalAddress()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        using var peer = new KernelPeer(PeerLink.Tap);
        var linkLocal = Netstack.Network.IPv6.Ipv6Address.LinkLocal(KernelPeer.OurMac);
        // Once the kernel's own link-local address is usable, it pings ff02::1 from it, and we answer from ours.
        Assert.True(SpinWait.SpinUntil(() =>
        {
            var addresses = peer.Namespace.Run($"ip -6 addr show dev {peer.Device} scope link").Output;
            return addresses.Contains("fe80::") && !addresses.Contains("tentative");
        }, TimeSpan.FromSeconds(10)));

        var ping = peer.Namespace.Run($"ping -6 -c 3 -i 0.3 -W 2 ff02::1%{peer.Device}", TimeSpan.FromSeconds(15));

        Assert.True(ping.Output.Contains($"from {linkLocal}%{peer.Device}"), ping.Output);
    }

    [SkippableFact]
    public void AnAddressTheKernelAlreadyHasIsFoundDuplicate()
    {
        Privileges.RequireNetworkAdmin();
        using var peer = new KernelPeer(PeerLink.Tap, awaitDad: false,
            configureKernel: ns => ns.Check($"ip -6 addr add {KernelPeer.OurAddress}/64 dev nstap6 nodad"));

        var ours = peer.Nic.FindAddress(KernelPeer.OurAddress)!;
        Assert.True(SpinWait.SpinUntil(() => ours.State != AddressState.Tentative, TimeSpan.FromSeconds(5)));
        Assert.Equal(AddressState.Duplicate, ours.State);
        Assert.Equal(1, peer.Ip.IcmpStats.DadDuplicates.Value);
    }

    [SkippableFact]
    public void WeDefendOurAddressAgainstTheKernelsDad()
    {
        Privileges.RequireNetworkAdmin();
        using var peer = new KernelPeer(PeerLink.Tap);

        peer.Namespace.Check($"ip -6 addr add {KernelPeer.OurAddress}/64 dev {peer.Device}");

        Assert.True(SpinWait.SpinUntil(
            () => peer.Namespace.Run($"ip -6 addr show dev {peer.Device}").Output.Contains("dadfailed"), TimeSpan.FromSeconds(10)),
            peer.Namespace.Run($"ip -6 addr show dev {peer.Device}").Output);
        Assert.Equal(AddressState.Assigned, peer.Nic.FindAddress(KernelPeer.OurAddress)!.State);
    }

    [SkippableFact]
    public void WeResolveTheKernelAndItsUdpSocketReceives()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("socat");
        using var peer = new KernelPeer(PeerLink.Tap);
        using var socat = StartUdpReceiver(peer, 9999);

        var payload = "from the userspace stack\n"u8.ToArray();
        var deadline = Stopwatch.StartNew();
        string received = "";
        while (deadline.Elapsed < TimeSpan.FromSeconds(10) && !received.Contains("userspace"))
        {
            Assert.Equal(TcpipError.None, peer.SendUdp(KernelPeer.KernelAddress, 9999, payload));
            Thread.Sleep(200);
            received = socat.Output;
        }

        Assert.Contains("from the userspace stack", received);
        // We solicited the kernel and it advertised back.
        Assert.True(peer.Ip.IcmpStats.NeighborSolicitationsSent.Value >= 1);
        Assert.True(peer.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.TryGetEntry(KernelPeer.KernelAddress, out var entry));
        Assert.Equal(peer.Namespace.MacOf(peer.Device), entry.LinkAddress);
        Assert.NotEqual(NeighborState.Incomplete, entry.State);
    }

    [SkippableFact]
    public void LargeUdpFromUsIsReassembledByTheKernel()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("socat");
        using var peer = new KernelPeer(PeerLink.Tun);
        using var socat = StartUdpReceiver(peer, 9998);

        var payload = new byte[4000];
        Array.Fill(payload, (byte)'z');
        payload[^2] = (byte)'!';
        payload[^1] = (byte)'\n';
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10) && !socat.Output.Contains('!'))
        {
            Assert.Equal(TcpipError.None, peer.SendUdp(KernelPeer.KernelAddress, 9998, payload));
            Thread.Sleep(200);
        }

        Assert.Contains(new string('z', 3998) + "!", socat.Output);
        Assert.True(peer.Ip.Stats.FragmentsSent.Value >= 3);
    }

    [SkippableFact]
    public void PacketTooBigFromAKernelRouterLowersOurPathMtu()
    {
        Privileges.RequireNetworkAdmin();
        // The kernel routes fd01::/64 out of a veth with MTU 1280 and answers bigger packets with Packet Too Big.
        using var peer = new KernelPeer(PeerLink.Tap, configureKernel: ns =>
        {
            ns.Check("sysctl -qw net.ipv6.conf.all.forwarding=1");
            ns.Check("ip link add nstv0 mtu 1280 type veth peer name nstv1 mtu 1280");
            ns.Check("ip -6 addr add fd01::1/64 dev nstv0 nodad");
            ns.Check("ip link set nstv0 up");
            ns.Check("ip link set nstv1 up");
        });
        peer.Stack.AddRoute(RouteEntry.Default(KernelPeer.KernelAddress, 1));
        var far = Address.Parse("fd01::5");
        Assert.Equal(1500, peer.Ip.PathMtu(peer.Nic, far));

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10) && peer.Ip.LearnedPathMtu(far) == 0)
        {
            peer.SendUdp(far, 7, new byte[1400]);
            Thread.Sleep(200);
        }

        Assert.Equal(1280, peer.Ip.LearnedPathMtu(far));
        Assert.Equal(1280, peer.Ip.PathMtu(peer.Nic, far));
        Assert.True(peer.Ip.IcmpStats.PacketTooBigReceived.Value >= 1);
        // Now the same datagram leaves in fragments that fit.
        long before = peer.Ip.Stats.FragmentsSent.Value;
        Assert.Equal(TcpipError.None, peer.SendUdp(far, 7, new byte[1400]));
        Assert.Equal(2, peer.Ip.Stats.FragmentsSent.Value - before);
    }

    [SkippableFact]
    public void EverythingWeSendDecodesCleanlyInTshark()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("tshark");
        Privileges.RequireTool("tcpdump");
        using var peer = new KernelPeer(PeerLink.Tap);
        var pcap = Path.Combine(Path.GetTempPath(), $"nst-ipv6-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var capture = new BackgroundCommand($"ip netns exec {peer.Namespace.Name} tcpdump -Z root --immediate-mode -i {peer.Device} -U -w {pcap}"))
            {
                Assert.True(SpinWait.SpinUntil(() => capture.Errors.Contains("listening on"), TimeSpan.FromSeconds(10)), capture.Errors);
                // The kernel must resolve us afresh, so the exchange is in the capture.
                peer.Namespace.Check($"ip -6 neigh flush dev {peer.Device}");
                var ping = peer.Namespace.Run($"ping -6 -c 2 -i 0.2 -W 2 -s 3000 {KernelPeer.OurAddress}", TimeSpan.FromSeconds(15));
                Assert.True(ping.ExitCode == 0, ping.Output + ping.Error);
                Thread.Sleep(300);
                capture.Interrupt();
                Assert.True(capture.WaitForExit(TimeSpan.FromSeconds(10)));
            }
            // Every ICMPv6 message from our MAC, decoded (and reassembled) by Wireshark's dissectors.
            var fields = Shell.Check($"tshark -r {pcap} -Y 'eth.src == {peer.Mac} && icmpv6' -T fields -e icmpv6.type -e icmpv6.checksum.status -e _ws.expert.severity").Output;
            var lines = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(lines, l => l.StartsWith("136\t", StringComparison.Ordinal)); // neighbour advertisement
            Assert.Equal(2, lines.Count(l => l.StartsWith("129\t", StringComparison.Ordinal))); // echo replies, reassembled
            Assert.All(lines, l => Assert.Equal("1", l.Split('\t')[1])); // checksum good
            Assert.DoesNotContain(lines, l => l.Split('\t').Length > 2 && l.Split('\t')[2].Contains("error", StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    private static BackgroundCommand StartUdpReceiver(KernelPeer peer, int port)
    {
        var receiver = new BackgroundCommand($"ip netns exec {peer.Namespace.Name} socat -u UDP6-RECV:{port},reuseaddr STDOUT");
        // Wait until the socket is bound.
        Assert.True(SpinWait.SpinUntil(() => peer.Namespace.Run($"ss -Hlun 'sport = :{port}'").Output.Contains($":{port}"), TimeSpan.FromSeconds(5)));
        return receiver;
    }

    private static long Counter(string snmp6, string name)
    {
        foreach (var line in snmp6.Split('\n'))
        {
            var parts = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == name)
            {
                return long.Parse(parts[1]);
            }
        }
        return -1;
    }

    /// <summary>A long-running command whose output lines are collected until it is killed.</summary>
    private sealed class BackgroundCommand : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _output = new();
        private readonly System.Text.StringBuilder _errors = new();

        public BackgroundCommand(string command)
        {
            _process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exec " + command])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            _process.OutputDataReceived += (_, e) =>
            {
                lock (_output)
                {
                    _output.Append(e.Data);
                }
            };
            _process.ErrorDataReceived += (_, e) =>
            {
                lock (_errors)
                {
                    _errors.Append(e.Data);
                }
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Errors
        {
            get
            {
                lock (_errors)
                {
                    return _errors.ToString();
                }
            }
        }

        public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

        /// <summary>Sends SIGINT, which makes capture tools flush and exit.</summary>
        public void Interrupt() => Shell.Run($"kill -INT {_process.Id}");

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public void Dispose()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }
    }
}
