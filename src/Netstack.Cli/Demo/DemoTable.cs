using System.Globalization;
using Netstack.Cli.Host;

namespace Netstack.Cli.Demo;

/// <summary>The demo's summary: one row per test (answered, lost, round-trip min/avg/max or throughput), then the host's counters.</summary>
internal static class DemoTable
{
    public static IEnumerable<string> Format(IReadOnlyList<DemoResult> results)
    {
        const string Header = "  {0,-32} {1,-28} {2,5} {3,5} {4,5} {5,9} {6,9} {7,9}  {8}";
        yield return string.Format(CultureInfo.InvariantCulture, Header, "test", "driven by", "sent", "recv", "lost", "min ms", "avg ms", "max ms", "throughput");
        yield return "  " + new string('-', 124);
        foreach (var r in results)
        {
            if (r.Error is not null && r.Received == 0 && r.Bytes == 0)
            {
                yield return string.Format(CultureInfo.InvariantCulture, "  {0,-32} {1,-28} FAILED: {2}", r.Name, r.Driver, r.Error);
                continue;
            }
            if (r.Sent == 0)
            {
                yield return string.Format(CultureInfo.InvariantCulture, Header, r.Name, r.Driver, "", "", "", "", "", "",
                    $"{Units.Bytes(r.Bytes)} in {Units.Seconds(r.Elapsed)}: {Units.BitRate(r.Bytes / Math.Max(1e-9, r.Elapsed.TotalSeconds))}{Suffix(r)}");
                continue;
            }
            var t = r.RoundTrips;
            yield return string.Format(CultureInfo.InvariantCulture, Header, r.Name, r.Driver, r.Sent, r.Received, r.Sent - r.Received,
                t.Count == 0 ? "-" : Units.Milliseconds(t.Min()),
                t.Count == 0 ? "-" : Units.Milliseconds(t.Average()),
                t.Count == 0 ? "-" : Units.Milliseconds(t.Max()),
                Suffix(r).TrimStart(';', ' ')).TrimEnd();
        }
    }

    private static string Suffix(DemoResult r) => r.Error is null ? "" : $"; error: {r.Error}";
}
