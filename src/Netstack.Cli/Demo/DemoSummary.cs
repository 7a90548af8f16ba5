using Netstack.Cli.Host;
using Netstack.Cli.Services;

namespace Netstack.Cli.Demo;

/// <summary>Prints the demo's table and the host's counters.</summary>
internal static class DemoSummary
{
    public static void Print(DemoConsole console, IReadOnlyList<DemoResult> results, UserspaceHost host, ServiceHost services)
    {
        console.Say("");
        foreach (var line in DemoTable.Format(results))
        {
            console.Say(line);
        }
        console.Say("");
        var report = new HostReport(host, services.Stats);
        foreach (var line in report.Totals())
        {
            console.Say($"  host {host.Link.Name}: {line}");
        }
    }
}
