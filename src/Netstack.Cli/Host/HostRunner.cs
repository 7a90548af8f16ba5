using Netstack.Cli.Services;

namespace Netstack.Cli.Host;

/// <summary>
/// Runs <c>netstack up</c>: opens the device, starts the host and its services, prints the status and the
/// live counters, and on Ctrl+C/SIGTERM (or when the device goes away) stops everything in order, removes
/// a TUN/TAP device it created and prints the summary.
/// </summary>
internal static class HostRunner
{
    private const string Prefix = "netstack up: ";

    /// <summary>Runs until stopped; returns the exit code (0 after a clean stop).</summary>
    public static int Run(HostOptions options)
    {
        using var signal = new TerminationSignal();
        LinkDevice device;
        try
        {
            device = LinkDevice.Open(options, Say);
        }
        catch (DeviceException e)
        {
            Say(e.Message);
            return 1;
        }

        UserspaceHost? host = null;
        ServiceHost? services = null;
        try
        {
            var link = device.ToHostLink(options);
            host = UserspaceHost.Start(link, options.Addresses, options.Gateways, options.Faults, options.PcapFile, options.DuplicateAddressDetection);
            host.LinkClosed += e => signal.Stop($"the device closed: {e}");
            services = ServiceHost.Start(host.Stack, options.Services, [.. options.Addresses.Select(a => a.Address)], options.Backlog);
            var report = new HostReport(host, services.Stats);
            if (!options.Quiet)
            {
                foreach (var line in report.Status(device.Created, ServiceKinds.Describe(options.Services)))
                {
                    Say(line);
                }
                if (device.Created && device.Kind != LinkKind.Packet)
                {
                    Say($"the kernel side of {device.Name} has no address yet: ip addr add <peer address/prefix> dev {device.Name}");
                }
                Say("running; Ctrl+C or SIGTERM stops");
            }
            var interval = options.StatsInterval > 0 && !options.Quiet ? TimeSpan.FromSeconds(options.StatsInterval) : Timeout.InfiniteTimeSpan;
            while (!signal.Token.WaitHandle.WaitOne(interval))
            {
                Say(report.Live());
            }

            services.Dispose();
            services = null;
            host.Dispose();
            string name = device.Name;
            bool created = device.Created;
            device.Dispose();
            foreach (var line in report.Summary(signal.Reason))
            {
                Say(line);
            }
            if (created)
            {
                Say(InterfaceControl.Exists(name) ? $"warning: the device {name} this process created is still there" : $"removed the device {name} this process created");
            }
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            Say(e.Message);
            return 1;
        }
        finally
        {
            services?.Dispose();
            host?.Dispose();
            device.Dispose();
        }
    }

    private static void Say(string line) => Console.Error.WriteLine(Prefix + line);
}
