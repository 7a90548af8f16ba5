using System.Diagnostics;

namespace Netstack.Cli.Demo;

/// <summary>
/// Runs request/response exchanges one after another and times each: the demo's UDP and TCP echo tests and
/// its own ping probes share it. An exchange that is not answered within the timeout counts as lost.
/// </summary>
internal static class RoundTripDriver
{
    /// <summary>The longest wait for one answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Calls <paramref name="exchange"/> <paramref name="count"/> times (with the sequence number and a token
    /// that fires at the timeout); it returns true when the answer came and was right.
    /// </summary>
    public static async Task<DemoResult> RunAsync(
        string name,
        string driver,
        int count,
        TimeSpan interval,
        Func<int, CancellationToken, Task<bool>> exchange,
        DemoConsole console,
        CancellationToken cancellationToken)
    {
        var times = new List<double>(count);
        string? error = null;
        int sent = 0;
        using var progress = console.Begin(name, count);
        for (int i = 0; i < count && !cancellationToken.IsCancellationRequested; i++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            long start = Stopwatch.GetTimestamp();
            sent++;
            try
            {
                if (await exchange(i, timeout.Token).ConfigureAwait(false))
                {
                    times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Not answered in time: lost.
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                error = e.Message;
                break;
            }
            progress.Report(i + 1, times.Count);
            if (interval > TimeSpan.Zero && i + 1 < count)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        return new DemoResult { Name = name, Driver = driver, Sent = sent, RoundTrips = times, Error = error };
    }
}
