using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Cli;

/// <summary>
/// <c>netstack demo</c> run as a child process: the kernel mode as root (namespace, TUN, kernel ping and
/// sockets, all removed afterwards, also when interrupted) and the unprivileged mode (two userspace hosts over
/// a socketpair), forced by the option, by the environment variable, and by a user without capabilities.
/// </summary>
public sealed class DemoCliTests
{
    private static readonly TimeSpan Finish = TimeSpan.FromSeconds(90);

    [SkippableFact]
    public void AsRootTheKernelDrivesAHostOnATunDeviceAndEverythingIsRemoved()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("ping");
        using var cli = CliProcess.Start("demo");
        Assert.True(cli.WaitForExit(Finish), cli.Output);
        string output = cli.Output;
        Assert.True(cli.ExitCode == 0, output);
        Assert.Contains("driven by the kernel's own ping and sockets", output);
        Assert.Matches(@"ping 10\.0\.0\.2 +kernel ping +20 +20 +0 ", output);
        Assert.Matches(@"ping fd00::2 +kernel ping +20 +20 +0 ", output);
        Assert.Matches(@"UDP echo 64 B v4 +kernel socket +200 +200 +0 ", output);
        Assert.Matches(@"UDP echo 64 B v6 +kernel socket +200 +200 +0 ", output);
        Assert.Matches(@"UDP echo 4000 B v4 \(fragmented\) +kernel socket +50 +50 +0 ", output);
        Assert.Matches(@"TCP echo 64 B v4 +kernel socket +200 +200 +0 ", output);
        Assert.Matches(@"TCP echo 64 B v6 +kernel socket +200 +200 +0 ", output);
        Assert.Matches(@"TCP upload to :9 v4 +kernel socket +[0-9.]+ [KMG]?B in [0-9.]+s: [0-9.]+ [kMG]bit/s", output);
        Assert.Matches(@"TCP download from :19 v4 +kernel socket +[0-9.]+ [KMG]?B in [0-9.]+s: [0-9.]+ [kMG]bit/s", output);
        Assert.Contains("every test passed", output);
        Assert.Contains($"removed the namespace netstack-demo-{cli.Pid}", output);
        Assert.DoesNotContain($"netstack-demo-{cli.Pid}", Shell.Check("ip netns list").Output);
    }

    [SkippableFact]
    public void WithoutPingItPingsWithItsOwnProbe()
    {
        Privileges.RequireNetworkAdmin();
        // A PATH with iproute2 and a shell, nothing else: no ping.
        var dir = Directory.CreateTempSubdirectory("nst-path-");
        try
        {
            // What the netstack script itself runs, when NETSTACK_CLI names it.
            foreach (var tool in new[] { "ip", "bash", "dirname", "find", "uname" })
            {
                File.CreateSymbolicLink(Path.Combine(dir.FullName, tool), Shell.Check($"command -v {tool}").Output.Trim());
            }
            var (code, output) = CliProcess.Run("demo", Finish, environment: new Dictionary<string, string> { ["PATH"] = dir.FullName });
            Assert.True(code == 0, output);
            Assert.Contains("'ping' is not installed", output);
            Assert.Matches(@"ping 10\.0\.0\.2 +own probe \(kernel raw socket\) +20 +20 +0 ", output);
            Assert.Matches(@"ping fd00::2 +own probe \(kernel raw socket\) +20 +20 +0 ", output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public void InterruptedItStillRemovesEverything()
    {
        Privileges.RequireNetworkAdmin();
        using var cli = CliProcess.Start("demo");
        cli.WaitForLine("namespace netstack-demo-");
        cli.Signal("INT");
        Assert.True(cli.WaitForExit(Finish), cli.Output);
        Assert.True(cli.ExitCode == 130, cli.Output);
        Assert.Contains("interrupted (SIGINT)", cli.Output);
        Assert.DoesNotContain($"netstack-demo-{cli.Pid}", Shell.Check("ip netns list").Output);
    }

    [Fact]
    public void TheUserspaceModeRunsTheSameTrafficBetweenTwoHosts()
    {
        var (code, output) = CliProcess.Run("demo --userspace", Finish);
        Assert.True(code == 0, output);
        Assert.Contains("running the same traffic between two userspace hosts joined by a socketpair", output);
        Assert.Matches(@"ping 10\.0\.0\.2 +own probe \(stack IP layer\) +20 +20 +0 ", output);
        Assert.Matches(@"ping fd00::2 +own probe \(stack IP layer\) +20 +20 +0 ", output);
        Assert.Matches(@"UDP echo 64 B v4 +userspace socket +200 +200 +0 ", output);
        Assert.Matches(@"UDP echo 4000 B v4 \(fragmented\) +userspace socket +50 +50 +0 ", output);
        Assert.Matches(@"TCP echo 64 B v6 +userspace socket +200 +200 +0 ", output);
        Assert.Matches(@"TCP download from :19 v4 +userspace socket +[0-9.]+ [KMG]?B in [0-9.]+s: [0-9.]+ [kMG]bit/s", output);
        Assert.Contains("every test passed", output);
    }

    [Fact]
    public void TheEnvironmentVariableForcesTheUserspaceMode()
    {
        var (code, output) = CliProcess.Run("demo", Finish, environment: new Dictionary<string, string> { ["NETSTACK_DEMO_USERSPACE"] = "1" });
        Assert.True(code == 0, output);
        Assert.Contains("asked for (--userspace or NETSTACK_DEMO_USERSPACE=1)", output);
        Assert.Contains("every test passed", output);
    }

    [SkippableFact]
    public void WithoutPrivilegesItSaysWhyAndRunsInUserspace()
    {
        Privileges.RequireNetworkAdmin();
        Privileges.RequireTool("setpriv");
        var (code, output) = CliProcess.Run("demo", Finish, user: "65534");
        Assert.True(code == 0, output);
        Assert.Contains("not running as root", output);
        Assert.Contains("every test passed", output);
    }
}
