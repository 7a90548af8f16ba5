using Netstack.Cli.Host;
using Netstack.Cli.Services;
using Netstack.Interop;

namespace Netstack.Cli.Demo;

/// <summary>
/// The demo without privileges: two userspace hosts in this process, each on one end of an AF_UNIX socketpair
/// carrying raw IP (as a TUN device would), the client at 10.0.0.1/fd00::1 driving the host at
/// 10.0.0.2/fd00::2 with the same tests.
/// </summary>
internal static unsafe class UserspaceDemo
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromMilliseconds(50);

    public static List<DemoResult> Run(DemoConsole console, CancellationToken cancellationToken)
    {
        int* fds = stackalloc int[2];
        if (SocketNative.SocketPair(SocketNative.AF_UNIX, SocketNative.SOCK_SEQPACKET | SocketNative.SOCK_CLOEXEC, 0, fds) != 0)
        {
            throw new IOException($"socketpair(AF_UNIX, SOCK_SEQPACKET) failed: errno {FileNative.LastErrno}.");
        }
        int serverFd = fds[0], clientFd = fds[1];
        UserspaceHost? server = null;
        UserspaceHost? client = null;
        ServiceHost? services = null;
        try
        {
            var kinds = ServiceKinds.Every;
            server = UserspaceHost.Start(Link("socketpair0", serverFd), [DemoRunner.HostV4, DemoRunner.HostV6], []);
            EchoReplyTap? tap = null;
            client = UserspaceHost.Start(Link("socketpair1", clientFd), [DemoRunner.PeerV4, DemoRunner.PeerV6], [], wrap: e => tap = new EchoReplyTap(e));
            services = ServiceHost.Start(server.Stack, kinds, [DemoRunner.HostV4.Address, DemoRunner.HostV6.Address], backlog: 128);
            console.Say($"  host {DemoRunner.HostV4} and {DemoRunner.HostV6}, services {ServiceKinds.Describe(kinds)}; client {DemoRunner.PeerV4} and {DemoRunner.PeerV6}");
            console.Say("");
            var driver = new UserspaceClient(client, tap!, PingInterval);
            var results = DemoPlan.RunAsync(driver, DemoRunner.HostV4.Address, DemoRunner.HostV6.Address, console, cancellationToken).GetAwaiter().GetResult();
            DemoSummary.Print(console, results, server, services);
            return results;
        }
        finally
        {
            services?.Dispose();
            client?.Dispose();
            server?.Dispose();
            FileNative.Close(serverFd);
            FileNative.Close(clientFd);
        }
    }

    private static HostLink Link(string name, int fd) => new()
    {
        Name = name,
        Description = "socketpair end",
        Fds = [fd],
        Mtu = 1500,
    };
}
