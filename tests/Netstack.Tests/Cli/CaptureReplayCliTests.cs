using System.Diagnostics;
using Netstack.Link.PacketSocket;
using Netstack.Link.Sniffer;
using Netstack.Tests.Infrastructure;
using Netstack.Tests.Link;

namespace Netstack.Tests.Cli;

/// <summary>The capture and replay commands, run as the real CLI inside a namespace, checked with tshark.</summary>
public class CaptureReplayCliTests
{

    [SkippableFact]
    public void CaptureWritesAPcapThatTsharkReads()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("tshark");
        using var ns = new NetNamespace();
        _ = new VethPair(ns);
        using var peer = ns.Enter(() => PacketSocket.Open(VethPair.B));
        var file = Path.Combine(Path.GetTempPath(), $"nst-{Guid.NewGuid():N}.pcap");
        try
        {
            using var cli = Start(ns, $"capture --packet {VethPair.A} --dispatch mmap --write {file} --count 5 --duration 20");
            Assert.Contains("capture: AF_PACKET", cli.StandardError.ReadLine());
            for (int i = 0; i < 5; i++)
            {
                PacketSocketTests.WriteFrame(peer.Fd, Frames.Ethernet(VethPair.MacA, VethPair.MacB, 0x88B5, Frames.Random(64, i)));
            }
            Assert.True(cli.WaitForExit(15_000), "capture did not stop after --count");
            var stderr = cli.StandardError.ReadToEnd();
            Assert.Equal(0, cli.ExitCode);
            Assert.Contains("done: 5 packets", stderr);
            var fields = Shell.Check($"tshark -r {file} -T fields -e eth.src -e eth.type").Output
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(5, fields.Length);
            Assert.All(fields, f => Assert.Equal("02:00:00:00:00:0b\t0x88b5", f.Trim()));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public void ReplaySendsEveryFrameOfAPcap()
    {
        Privileges.RequireNetworkAdmin();
        using var ns = new NetNamespace();
        _ = new VethPair(ns);
        using var peer = ns.Enter(() => PacketSocket.Open(VethPair.B));
        var file = Path.Combine(Path.GetTempPath(), $"nst-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var pcap = new PcapWriter(File.Create(file), PcapWriter.LinkTypeEthernet))
            {
                for (int i = 0; i < 3; i++)
                {
                    pcap.Write(Frames.Ethernet(VethPair.MacB, VethPair.MacA, 0x88B5, Frames.Random(100, i)), DateTimeOffset.UtcNow);
                }
            }
            using var cli = Start(ns, $"replay --packet {VethPair.A} {file}");
            Assert.True(cli.WaitForExit(15_000));
            var stderr = cli.StandardError.ReadToEnd();
            Assert.True(cli.ExitCode == 0, stderr);
            Assert.Contains("tx 3 pkts", stderr);
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(Frames.Random(100, i), SocketPair.ReadFrom(peer.Fd)![14..]);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void CaptureRefusesTwoSourcesAndABadDispatchMode()
    {
        var r = Shell.Run($"{CliProcess.CliCommand} capture --packet a --tun b --write /tmp/x.pcap");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("exactly one of --packet", r.Error + r.Output);
        r = Shell.Run($"{CliProcess.CliCommand} capture --packet a --dispatch fast --write /tmp/x.pcap");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("fast", r.Error + r.Output);
    }

    private static Process Start(NetNamespace ns, string arguments)
    {
        var psi = new ProcessStartInfo("ip", $"netns exec {ns.Name} {CliProcess.CliCommand} {arguments}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        return Process.Start(psi)!;
    }
}
