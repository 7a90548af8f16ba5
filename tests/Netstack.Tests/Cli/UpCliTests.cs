using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Cli;

/// <summary>
/// <c>netstack up</c> run as a child process inside a namespace, driven by the kernel's own ping, ping -6 and
/// socat through TUN, TAP and veth (every dispatch mode), stopped with SIGTERM or SIGINT.
/// </summary>
public sealed class UpCliTests
{
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(15);

    [SkippableFact]
    public void TunItCreatesAnswersPingAndUdpAndRemovesOnSigterm()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        Privileges.RequireTool("socat");
        using var ns = new NetNamespace();
        using var cli = CliProcess.Start("up --tun nst0 --address 10.1.0.2/24 --address fd01::2/64 --serve udp-echo --stats-interval 0.5 --txqueuelen 2000", ns);
        cli.WaitForLine("running;");
        Assert.Contains("TUN nst0 (created by this process): MTU 1500", cli.Output);
        Assert.Contains("txqueuelen 2000", cli.Output);
        Assert.Contains("qlen 2000", ns.Check("ip link show nst0").Output);
        Assert.Contains("addresses: 10.1.0.2/24, fd01::2/64", cli.Output);
        Assert.Contains("services: udp-echo (udp/7)", cli.Output);
        ns.Check("ip addr add 10.1.0.1/24 dev nst0");
        ns.Check("ip -6 addr add fd01::1/64 dev nst0 nodad");

        AssertPings(ns, "10.1.0.2");
        AssertPings(ns, "fd01::2");
        AssertUdpEcho(ns, "10.1.0.2", "hello v4");
        AssertUdpEcho(ns, "[fd01::2]", "hello v6");
        cli.WaitForLine("udp-echo 2 dgrams");

        cli.Signal("TERM");
        Assert.True(cli.WaitForExit(Exit), cli.Output);
        Assert.True(cli.ExitCode == 0, cli.Output);
        Assert.Contains("stopped (SIGTERM)", cli.Output);
        Assert.Contains("icmpv4: received=3 echo_requests_received=3 echo_replies_sent=3", cli.Output);
        Assert.Contains("echo_requests_received=3", cli.Output[cli.Output.IndexOf("icmpv6:", StringComparison.Ordinal)..]);
        Assert.Contains("removed the device nst0 this process created", cli.Output);
        Assert.NotEqual(0, ns.Run("ip link show nst0").ExitCode);
    }

    [SkippableFact]
    public void TunMadeByTheHarnessIsUsedAsItIsAndKeptOnSigint()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        using var ns = new NetNamespace();
        // As bench/peers/harness.sh prepares it: a persistent TUN device, up, with the kernel's addresses.
        ns.Check("ip tuntap add dev bpd0 mode tun");
        ns.Check("ip link set bpd0 mtu 1400");
        ns.Check("ip addr add 198.18.0.1/24 dev bpd0");
        ns.Check("ip -6 addr add fd42:ba5e::1/64 dev bpd0 nodad");
        ns.Check("ip link set bpd0 up");
        using var cli = CliProcess.Start("up --tun bpd0 --address 198.18.0.2/24 --address fd42:ba5e::2/64 --serve udp-echo", ns);
        cli.WaitForLine("running;");
        Assert.Contains("TUN bpd0: MTU 1400", cli.Output);
        AssertPings(ns, "198.18.0.2");
        AssertPings(ns, "fd42:ba5e::2");
        cli.Signal("INT");
        Assert.True(cli.WaitForExit(Exit), cli.Output);
        Assert.True(cli.ExitCode == 0, cli.Output);
        Assert.Contains("stopped (SIGINT)", cli.Output);
        Assert.DoesNotContain("removed the device", cli.Output);
        Assert.Equal(0, ns.Run("ip link show bpd0").ExitCode);
    }

    [SkippableFact]
    public void TheHarnessCommandLineServesTcpEchoDiscardAndChargen()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("socat");
        using var ns = new NetNamespace();
        ns.Check("ip tuntap add dev bpd0 mode tun");
        ns.Check("ip addr add 198.18.0.1/24 dev bpd0");
        ns.Check("ip -6 addr add fd42:ba5e::1/64 dev bpd0 nodad");
        ns.Check("ip link set bpd0 up");
        using var cli = CliProcess.Start("up --tun bpd0 --address 198.18.0.2/24 --address fd42:ba5e::2/64 --serve echo,discard,chargen,udp-echo --stats-interval 0.2", ns);
        cli.WaitForLine("running;");
        Assert.Contains("services: echo (tcp/7), discard (tcp/9), chargen (tcp/19), udp-echo (udp/7)", cli.Output);

        AssertTcpEcho(ns, "198.18.0.2", "hello over tcp");
        AssertTcpEcho(ns, "[fd42:ba5e::2]", "hello over tcp v6");
        // Discard takes a megabyte and closes when the client does.
        ns.Check("sh -c \"head -c 1000000 /dev/zero | socat -u - TCP:198.18.0.2:9\"");
        // Chargen: RFC 864 lines, the first starting with the space character, the next one character later.
        var lines = ns.Check("sh -c \"socat -u TCP:198.18.0.2:19 - | head -c 148\"").Output;
        string printable = new(Enumerable.Range(' ', 95).Select(c => (char)c).ToArray());
        Assert.Equal(printable[..72] + "\r\n" + printable[1..73] + "\r\n", lines);
        var count = ns.Check("sh -c \"socat -u TCP:[fd42:ba5e::2]:19 - | head -c 3000000 | wc -c\"").Output.Trim();
        Assert.Equal("3000000", count);
        cli.WaitForLine("discard 0/1 conns 1.0 MB");
        cli.WaitForLine("chargen 0/2 conns");

        cli.Signal("TERM");
        Assert.True(cli.WaitForExit(Exit), cli.Output);
        Assert.True(cli.ExitCode == 0, cli.Output);
        Assert.Contains("echo 0 open/2 total", cli.Output);
        Assert.Contains("discard 0 open/1 total 1.0 MB in", cli.Output);
        Assert.Contains("chargen 0 open/2 total", cli.Output);
        Assert.Contains("tcp: ", cli.Output);
    }

    [SkippableFact]
    public void TapWithAMacResolvesBothWays()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        Privileges.RequireTool("socat");
        using var ns = new NetNamespace();
        using var cli = CliProcess.Start("up --tap nsp0 --mac 02:00:c6:12:00:02 --address 10.1.0.2/24 --address fd01::2/64 --serve udp-echo,echo", ns);
        cli.WaitForLine("running;");
        Assert.Contains("TAP nsp0 (created by this process): MTU 1500, MAC 02:00:c6:12:00:02", cli.Output);
        ns.Check("ip addr add 10.1.0.1/24 dev nsp0");
        ns.Check("ip -6 addr add fd01::1/64 dev nsp0 nodad");
        AssertPings(ns, "10.1.0.2");
        // The host's IPv6 address is usable after duplicate address detection (1 s).
        AssertPings(ns, "fd01::2", deadline: 5);
        AssertUdpEcho(ns, "[fd01::2]", "over tap");
        AssertTcpEcho(ns, "10.1.0.2", "tcp over tap");
        Assert.Contains("02:00:c6:12:00:02", ns.Check("ip neigh show 10.1.0.2").Output);
        Assert.Contains("02:00:c6:12:00:02", ns.Check("ip -6 neigh show fd01::2").Output);
        cli.Signal("TERM");
        Assert.True(cli.WaitForExit(Exit), cli.Output);
        Assert.True(cli.ExitCode == 0, cli.Output);
        Assert.Contains("arp: ", cli.Output);
        Assert.Contains("removed the device nsp0", cli.Output);
    }

    [SkippableTheory]
    [InlineData("readv")]
    [InlineData("recvmmsg")]
    [InlineData("mmap")]
    public void VethThroughAfPacketInEachDispatchMode(string dispatch)
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        Privileges.RequireTool("socat");
        using var ns = new NetNamespace();
        _ = new VethPair(ns);
        // The kernel end (vb) gets the peer addresses; the stack's end (va) stays without any, IPv6 off. As in the
        // harness, vb's checksum offload is off so its frames arrive checksummed.
        Privileges.RequireTool("ethtool");
        ns.Check($"ethtool -K {VethPair.B} tx off");
        ns.Check($"sysctl -qw net.ipv6.conf.{VethPair.B}.disable_ipv6=0");
        ns.Check($"ip addr add 10.1.0.1/24 dev {VethPair.B}");
        ns.Check($"ip -6 addr add fd01::1/64 dev {VethPair.B} nodad");
        using var cli = CliProcess.Start($"up --packet {VethPair.A} --dispatch {dispatch} --address 10.1.0.2/24 --address fd01::2/64 --serve udp-echo,echo --no-dad", ns);
        cli.WaitForLine("running;");
        Assert.Contains($"AF_PACKET on {VethPair.A}: MTU 1500, MAC {VethPair.MacA}, dispatch {dispatch}", cli.Output);
        // The 4 MiB default receive buffer, which the kernel reports doubled.
        Assert.Contains("receive buffer 8192 KiB", cli.Output);
        AssertPings(ns, "10.1.0.2");
        AssertPings(ns, "fd01::2");
        AssertUdpEcho(ns, "10.1.0.2", $"veth {dispatch}");
        AssertTcpEcho(ns, "[fd01::2]", $"tcp veth {dispatch}");
        cli.Signal("TERM");
        Assert.True(cli.WaitForExit(Exit), cli.Output);
        Assert.True(cli.ExitCode == 0, cli.Output);
        Assert.Contains("udp-echo 1 datagrams", cli.Output);
        // Every packet buffer is back in its pool once the host has stopped.
        Assert.Matches(@"memory: peak RSS [0-9.]+ MB, managed heap .*, packet buffers 0 in use", cli.Output);
    }

    [SkippableFact]
    public void VethWithTheKernelsOffloadsOnWorksThroughTheVirtioHeader()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("socat");
        using var ns = new NetNamespace();
        _ = new VethPair(ns);
        // vb keeps its checksum offload and TSO: its packets reach us with partial checksums and up to 64 KiB
        // long; the virtio-net header (on by default with recvmmsg) says so.
        ns.Check($"ip addr add 10.1.0.1/24 dev {VethPair.B}");
        using var cli = CliProcess.Start($"up --packet {VethPair.A} --address 10.1.0.2/24 --serve udp-echo,echo,discard,chargen --stats-interval 0.2", ns);
        cli.WaitForLine("running;");
        Assert.Contains("dispatch recvmmsg, 1 fd, offload: virtio-net header, GSO 65536", cli.Output);
        AssertUdpEcho(ns, "10.1.0.2", "partial checksum");
        AssertTcpEcho(ns, "10.1.0.2", "partial checksum over tcp");
        ns.Check("sh -c \"head -c 20000000 /dev/zero | socat -u - TCP:10.1.0.2:9\"");
        Assert.Equal("20000000", ns.Check("sh -c \"socat -u TCP:10.1.0.2:19 - | head -c 20000000 | wc -c\"").Output.Trim());
        // socat ends when its data is written, not read: wait for discard to have it all (and the close) first.
        cli.WaitForLine("discard 0/1 conns 20.0 MB");
        cli.Signal("TERM");
        Assert.True(cli.WaitForExit(Exit), cli.Output);
        Assert.Contains("discard 0 open/1 total 20.0 MB in", cli.Output);
        Assert.DoesNotContain("drop_bad_checksum", cli.Output);
        Assert.DoesNotContain("Truncated", cli.Output);
    }

    [SkippableFact]
    public void PcapRecordsBothDirectionsForTshark()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        Privileges.RequireTool("tshark");
        using var ns = new NetNamespace();
        var file = Path.Combine(Path.GetTempPath(), $"nst-up-{Guid.NewGuid():N}.pcap");
        try
        {
            using var cli = CliProcess.Start($"up --tun nst0 --address 10.1.0.2/24 --pcap {file}", ns);
            cli.WaitForLine("running;");
            ns.Check("ip addr add 10.1.0.1/24 dev nst0");
            AssertPings(ns, "10.1.0.2", count: 2);
            cli.Signal("TERM");
            Assert.True(cli.WaitForExit(Exit), cli.Output);
            var fields = Shell.Check($"tshark -r {file} -Y icmp -T fields -e ip.src -e icmp.type -e icmp.checksum.status").Output
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(["10.1.0.1\t8\t1", "10.1.0.2\t0\t1", "10.1.0.1\t8\t1", "10.1.0.2\t0\t1"], fields);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public void FaultsApplyInEachDirectionAndAreCounted()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        using var ns = new NetNamespace();
        using (var cli = CliProcess.Start("up --tun nst0 --address 10.1.0.2/24 --faults in.drop=100%,seed=7", ns))
        {
            cli.WaitForLine("running;");
            Assert.Contains("faults: in.drop=100%", cli.Output);
            Assert.Contains("seed 7", cli.Output);
            ns.Check("ip addr add 10.1.0.1/24 dev nst0");
            var ping = ns.Run("ping -c 3 -i 0.2 -W 1 10.1.0.2");
            Assert.Contains("0 received", ping.Output);
            cli.Signal("TERM");
            Assert.True(cli.WaitForExit(Exit), cli.Output);
            Assert.Contains("faults_in: packets=", cli.Output);
            Assert.Contains("drop_random=", cli.Output);
            Assert.DoesNotContain("echo_requests_received", cli.Output);
        }
        using (var cli = CliProcess.Start("up --tun nst1 --address 10.2.0.2/24 --faults out.dup=100%", ns))
        {
            cli.WaitForLine("running;");
            ns.Check("ip addr add 10.2.0.1/24 dev nst1");
            var ping = ns.Run("ping -c 2 -i 0.3 -W 1 10.2.0.2");
            Assert.Contains("DUP!", ping.Output);
            cli.Signal("TERM");
            Assert.True(cli.WaitForExit(Exit), cli.Output);
            Assert.Contains("faults_out: packets=2", cli.Output);
            Assert.Contains("duplicated=2", cli.Output);
        }
    }

    [SkippableFact]
    public void WithoutCapNetAdminItSaysWhatIsMissing()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("setpriv");
        using var ns = new NetNamespace();
        var (code, output) = CliProcess.Run("up --tun nst0 --address 10.1.0.2/24", Exit, ns, user: "65534");
        Assert.Equal(1, code);
        Assert.Contains("Creating TUN device 'nst0' needs CAP_NET_ADMIN", output);
        Assert.Contains("ip tuntap add dev nst0 mode tun user", output);
        (code, output) = CliProcess.Run("up --packet lo --address 10.1.0.2/24", Exit, ns, user: "65534");
        Assert.Equal(1, code);
        Assert.Contains("needs CAP_NET_RAW", output);
    }

    [SkippableFact]
    public void DeviceProblemsAreExplained()
    {
        Privileges.RequireNetworkAdmin();
        using var ns = new NetNamespace();
        var (code, output) = CliProcess.Run("up --packet nosuch0 --address 10.1.0.2/24", Exit, ns);
        Assert.Equal(1, code);
        Assert.Contains("there is no interface 'nosuch0'", output);
        ns.Check("ip tuntap add dev tap9 mode tap");
        (code, output) = CliProcess.Run("up --tun tap9 --address 10.1.0.2/24", Exit, ns);
        Assert.Equal(1, code);
        Assert.Contains("'tap9' exists and is a TAP device, not a TUN device; use --tap tap9", output);
        (code, output) = CliProcess.Run("up --tun lo --address 10.1.0.2/24", Exit, ns);
        Assert.Equal(1, code);
        Assert.Contains("'lo' exists and is not a TUN/TAP device", output);
    }

    [Theory]
    [InlineData("up --address 10.0.0.2/24", "Give exactly one device: --tun NAME, --tap NAME or --packet IFACE.")]
    [InlineData("up --tun a --tap b --address 10.0.0.2/24", "Give exactly one device")]
    [InlineData("up --tun t0", "--address: give at least one")]
    [InlineData("up --tun t0 --address 10.0.0.300/24", "--address: '10.0.0.300/24' is not ADDRESS/PREFIX")]
    [InlineData("up --tun t0 --address 10.0.0.2/33", "the prefix length must be 0..32")]
    [InlineData("up --tun t0 --address 224.0.0.1/4", "--address: 224.0.0.1/4 cannot be a host address")]
    [InlineData("up --tun t0 --dispatch mmap --address 10.0.0.2/24", "--dispatch: mmap needs an AF_PACKET socket (--packet)")]
    [InlineData("up --packet p0 --dispatch fast --address 10.0.0.2/24", "--dispatch: 'fast' is not a dispatch mode; allowed: readv, recvmmsg, mmap.")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --mtu 10", "--mtu: 10 is out of range; allowed: 68..65535.")]
    [InlineData("up --tun t0 --address fd00::2/64 --mtu 1000", "--mtu: 1000 is below 1280, the IPv6 minimum")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --serve echo,gopher", "--serve: unknown service 'gopher'; allowed: echo, discard, chargen, udp-echo, all, none.")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --faults drop=5", "--faults: drop=5: not a percentage")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --faults wobble=1%", "--faults: ")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --mac 02:00:00:00:00:01", "--mac: a TUN device carries no Ethernet header")]
    [InlineData("up --tap t0 --address 10.0.0.2/24 --mac 01:00:00:00:00:01", "--mac: 01:00:00:00:00:01 has the group (multicast) bit set")]
    [InlineData("up --tap t0 --address 10.0.0.2/24 --mac zz", "--mac: 'zz' is not a MAC address")]
    [InlineData("up --tap t0 --address 10.0.0.2/24 --fds 2", "--fds: several fds need --packet")]
    [InlineData("up --packet p0 --address 10.0.0.2/24 --fds 99", "--fds: 99 is out of range; allowed: 1..16.")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --gateway fd00::1", "--gateway: fd00::1 is IPv6 but no --address of that family is given.")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --vnet-hdr maybe", "--vnet-hdr: 'maybe' is not allowed; allowed: on, off.")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --vnet-hdr off --gso 65536", "--gso: GSO needs the virtio-net header; use --vnet-hdr on or --gso 0.")]
    [InlineData("up --packet p0 --address 10.0.0.2/24 --dispatch mmap --gso 65536", "--dispatch mmap reads a PACKET_MMAP ring whose frames are sized for the MTU")]
    [InlineData("up --packet p0 --address 10.0.0.2/24 --vnet-hdr on --gso 0", "--vnet-hdr: with --packet the virtio-net header comes with GSO")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --stats-interval -1", "--stats-interval: -1 is out of range")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --bogus", "--bogus")]
    [InlineData("up --packet p0 --address 10.0.0.2/24 --txqueuelen 5000", "--txqueuelen: applies to --tun and --tap")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --txqueuelen 0", "--txqueuelen: 0 is out of range; allowed: 1..1000000 packets.")]
    [InlineData("up --tun t0 --address 10.0.0.2/24 --rcvbuf 65536", "--rcvbuf: applies to --packet")]
    [InlineData("up --packet p0 --address 10.0.0.2/24 --rcvbuf -1", "--rcvbuf: -1 is out of range; allowed: 0 (the kernel's default) to 1073741824 bytes.")]
    [InlineData("up --tun this-name-is-too-long --address 10.0.0.2/24", "--tun: 'this-name-is-too-long' is not an interface name")]
    public void BadOptionsAreNamedWithWhatIsAllowed(string arguments, string message)
    {
        var (code, output) = CliProcess.Run(arguments, Exit);
        Assert.NotEqual(0, code);
        Assert.Contains(message, output);
    }

    private static void AssertPings(NetNamespace ns, string target, int count = 3, int deadline = 0)
    {
        string v6 = target.Contains(':') ? "-6 " : "";
        string wait = deadline > 0 ? $"-w {deadline} " : "";
        var r = ns.Run($"ping {v6}-c {count} -i 0.2 -W 2 {wait}{target}");
        Assert.True(r.Output.Contains($"{count} received", StringComparison.Ordinal) || (deadline > 0 && r.ExitCode == 0),
            $"ping {target}: {r.Output} {r.Error}");
    }

    private static void AssertTcpEcho(NetNamespace ns, string target, string payload)
    {
        var r = ns.Run($"sh -c \"printf '{payload}' | socat -t 5 - TCP:{target}:7\"");
        Assert.True(r.Output == payload, $"TCP echo from {target}: '{r.Output}' {r.Error}");
    }

    private static void AssertUdpEcho(NetNamespace ns, string target, string payload)
    {
        var r = ns.Run($"sh -c \"printf '{payload}' | socat -t 2 - UDP:{target}:7\"");
        Assert.True(r.Output == payload, $"UDP echo from {target}: '{r.Output}' {r.Error}");
    }
}
