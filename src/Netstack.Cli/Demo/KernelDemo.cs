using Netstack.Cli.Host;
using Netstack.Cli.Services;

namespace Netstack.Cli.Demo;

/// <summary>
/// The demo with the kernel as the peer: a namespace of its own with a TUN device whose kernel side gets
/// 10.0.0.1/24 and fd00::1/64, a userspace host on it at 10.0.0.2 and fd00::2 running every service, the
/// kernel's ping and sockets as clients. Everything is removed at the end, also after a failure or Ctrl+C.
/// </summary>
internal static class KernelDemo
{
    /// <summary>The TUN device's name (inside the demo's namespace, so it cannot clash).</summary>
    public const string Device = "nsdemo0";

    private static readonly TimeSpan PingInterval = TimeSpan.FromMilliseconds(50);

    public static List<DemoResult> Run(DemoConsole console, CancellationToken cancellationToken)
    {
        console.Say("netstack demo: a userspace host on a TUN device, driven by the kernel's own ping and sockets.");
        var ns = KernelNamespace.Create();
        LinkDevice? device = null;
        UserspaceHost? host = null;
        ServiceHost? services = null;
        try
        {
            var options = new HostOptions
            {
                Kind = LinkKind.Tun,
                Device = Device,
                Addresses = [DemoRunner.HostV4, DemoRunner.HostV6],
                VirtioHeader = true,
                GsoMaxSize = HostOptions.DefaultGsoSize,
                Services = ServiceKinds.Every,
            };
            device = ns.Enter(() => LinkDevice.Open(options, note => console.Say("  " + note)));
            ns.Ip($"addr add {DemoRunner.PeerV4} dev {Device}");
            ns.Ip($"-6 addr add {DemoRunner.PeerV6} dev {Device} nodad");
            host = UserspaceHost.Start(device.ToHostLink(options), options.Addresses, []);
            services = ServiceHost.Start(host.Stack, options.Services, [.. options.Addresses.Select(a => a.Address)], backlog: 128);
            console.Say($"  namespace {ns.Name}: TUN device {Device}, kernel side {DemoRunner.PeerV4} and {DemoRunner.PeerV6}");
            console.Say($"  userspace host (this process): {DemoRunner.HostV4} and {DemoRunner.HostV6}, services {ServiceKinds.Describe(options.Services)}");
            if (!KernelPing.Available)
            {
                console.Say("  'ping' is not installed (apt-get install iputils-ping): using the demo's own probe on a kernel raw socket instead.");
            }
            console.Say("");
            var client = new KernelClient(ns, PingInterval);
            var results = DemoPlan.RunAsync(client, DemoRunner.HostV4.Address, DemoRunner.HostV6.Address, console, cancellationToken).GetAwaiter().GetResult();
            DemoSummary.Print(console, results, host, services);
            return results;
        }
        finally
        {
            services?.Dispose();
            host?.Dispose();
            device?.Dispose();
            ns.Dispose();
            console.Say($"netstack demo: removed the namespace {ns.Name} and the device {Device}.");
        }
    }
}
