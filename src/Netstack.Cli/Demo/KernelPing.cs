using System.Globalization;
using System.Text.RegularExpressions;

namespace Netstack.Cli.Demo;

/// <summary>Runs the kernel's own <c>ping</c> (iputils) inside the demo's namespace and reads its replies as they come.</summary>
internal static partial class KernelPing
{
    /// <summary>True when a <c>ping</c> program is on the PATH.</summary>
    public static bool Available => ProgramPath.Find("ping") is not null;

    /// <summary>Pings <paramref name="target"/> <paramref name="count"/> times, <paramref name="interval"/> apart.</summary>
    public static async Task<DemoResult> RunAsync(KernelNamespace ns, Address target, int count, TimeSpan interval, DemoConsole console, CancellationToken cancellationToken)
    {
        string name = $"ping {target}";
        string seconds = interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        using var process = ns.Start("ping", $"{(target.IsV6 ? "-6 " : "")}-n -c {count} -i {seconds} -W 1 {target}");
        using var kill = cancellationToken.Register(() =>
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
            }
        });
        var times = new List<double>();
        int sent = count;
        int seen = 0;
        using (var progress = console.Begin(name, count))
        {
            while (await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                var reply = ReplyLine().Match(line);
                if (reply.Success)
                {
                    times.Add(double.Parse(reply.Groups["ms"].Value, CultureInfo.InvariantCulture));
                    seen = Math.Max(seen, int.Parse(reply.Groups["seq"].Value, CultureInfo.InvariantCulture));
                    progress.Report(seen, times.Count);
                }
                var summary = SummaryLine().Match(line);
                if (summary.Success)
                {
                    sent = int.Parse(summary.Groups["sent"].Value, CultureInfo.InvariantCulture);
                }
            }
            progress.Report(sent, times.Count);
        }
        string error = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return new DemoResult
        {
            Name = name,
            Driver = "kernel ping",
            Sent = sent,
            RoundTrips = times,
            Error = times.Count == 0 && error.Trim().Length > 0 ? error.Trim() : null,
        };
    }

    [GeneratedRegex(@"icmp_seq=(?<seq>\d+) .*time=(?<ms>[0-9.]+) ms")]
    private static partial Regex ReplyLine();

    [GeneratedRegex(@"^(?<sent>\d+) packets transmitted")]
    private static partial Regex SummaryLine();
}
