using Netstack.Cli.Host;

namespace Netstack.Cli.Demo;

/// <summary>Chooses how the demo runs (kernel peer or two userspace hosts), runs it and prints the summary.</summary>
internal static class DemoRunner
{
    /// <summary>Set to 1 to force the unprivileged mode.</summary>
    public const string UserspaceVariable = "NETSTACK_DEMO_USERSPACE";

    /// <summary>The host's addresses and the kernel's (or the second host's) on the demo link.</summary>
    public static readonly AddressWithPrefix HostV4 = AddressWithPrefix.Parse("10.0.0.2/24");

    public static readonly AddressWithPrefix HostV6 = AddressWithPrefix.Parse("fd00::2/64");

    public static readonly AddressWithPrefix PeerV4 = AddressWithPrefix.Parse("10.0.0.1/24");

    public static readonly AddressWithPrefix PeerV6 = AddressWithPrefix.Parse("fd00::1/64");

    /// <summary>Runs the demo; 0 when every test passed, 1 when one failed or the setup did, 130 when interrupted.</summary>
    public static int Run(bool forceUserspace)
    {
        var console = DemoConsole.ForProcess();
        using var signal = new TerminationSignal();
        string? why = forceUserspace ? "asked for (--userspace or " + UserspaceVariable + "=1)" : KernelModeUnavailable();
        try
        {
            List<DemoResult> results;
            if (why is null)
            {
                results = KernelDemo.Run(console, signal.Token);
            }
            else
            {
                console.Say($"netstack demo: not driving a TUN device with the kernel: {why}.");
                console.Say("netstack demo: running the same traffic between two userspace hosts joined by a socketpair instead.");
                results = UserspaceDemo.Run(console, signal.Token);
            }
            bool ok = results.All(r => r.Ok);
            console.Say(ok ? "netstack demo: every test passed." : "netstack demo: some tests failed (see the table).");
            return ok ? 0 : 1;
        }
        catch (OperationCanceledException)
        {
            console.Say($"netstack demo: interrupted ({signal.Reason}); everything it created is removed.");
            return 130;
        }
        catch (Exception e) when (e is DeviceException or InvalidOperationException or IOException or ArgumentException or System.Net.Sockets.SocketException)
        {
            console.Say($"netstack demo: failed: {e.Message}");
            return 1;
        }
    }

    // The kernel mode needs a namespace (CAP_SYS_ADMIN, iproute2), a TUN device (CAP_NET_ADMIN, /dev/net/tun)
    // and, for the probes without ping, raw sockets (CAP_NET_RAW).
    private static string? KernelModeUnavailable()
    {
        if (!ProcessCapabilities.NetAdmin || !ProcessCapabilities.SysAdmin || !ProcessCapabilities.NetRaw)
        {
            return "not running as root (a network namespace and a TUN device need CAP_SYS_ADMIN and CAP_NET_ADMIN; " +
                   "run 'sudo ./netstack demo' for the kernel version)";
        }
        if (!File.Exists("/dev/net/tun"))
        {
            return "there is no /dev/net/tun (load the tun module: modprobe tun)";
        }
        if (ProgramPath.Find("ip") is null)
        {
            return "iproute2 ('ip') is not installed (apt-get install iproute2)";
        }
        return null;
    }
}
