using System.Buffers;
using System.Diagnostics;
using Netstack.Cli.Host;

namespace Netstack.Cli.Demo;

/// <summary>The demo's TCP tests against the host's services: echo round trips (7), upload to discard (9), download from chargen (19).</summary>
internal static class TcpTests
{
    /// <summary>How long each bulk transfer runs.</summary>
    public static readonly TimeSpan BulkDuration = TimeSpan.FromSeconds(2);

    private const int Chunk = 64 * 1024;

    /// <summary>What chargen may send: printable ASCII and line ends.</summary>
    private static readonly SearchValues<byte> ChargenBytes =
        SearchValues.Create([.. Enumerable.Range(' ', '~' - ' ' + 1).Select(c => (byte)c), (byte)'\r', (byte)'\n']);

    /// <summary><paramref name="count"/> round trips of <paramref name="size"/> bytes, each checked byte for byte.</summary>
    public static async Task<DemoResult> EchoAsync(IDemoClient client, Address target, int size, int count, DemoConsole console, CancellationToken cancellationToken)
    {
        string name = $"TCP echo {size} B {(target.IsV6 ? "v6" : "v4")}";
        try
        {
            await using var tcp = await client.ConnectTcpAsync(target, 7, cancellationToken).ConfigureAwait(false);
            var request = new byte[size];
            var answer = new byte[size];
            return await RoundTripDriver.RunAsync(name, client.SocketDriver, count, TimeSpan.Zero, async (seq, token) =>
            {
                Array.Fill(request, (byte)seq);
                await tcp.Stream.WriteAsync(request, token).ConfigureAwait(false);
                await tcp.Stream.ReadExactlyAsync(answer, token).ConfigureAwait(false);
                return answer.AsSpan().SequenceEqual(request);
            }, console, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return DemoResult.Failed(name, client.SocketDriver, e.Message);
        }
    }

    /// <summary>Writes to discard for <see cref="BulkDuration"/>, then half-closes and waits for the server's close (so every byte was taken).</summary>
    public static async Task<DemoResult> UploadAsync(IDemoClient client, Address target, DemoConsole console, CancellationToken cancellationToken)
    {
        string name = $"TCP upload to :9 {(target.IsV6 ? "v6" : "v4")}";
        try
        {
            await using var tcp = await client.ConnectTcpAsync(target, 9, cancellationToken).ConfigureAwait(false);
            var data = new byte[Chunk];
            Random.Shared.NextBytes(data);
            using var progress = console.Begin(name, 0);
            var clock = Stopwatch.StartNew();
            long bytes = 0;
            var nextReport = TimeSpan.Zero;
            while (clock.Elapsed < BulkDuration)
            {
                await tcp.Stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                bytes += data.Length;
                if (clock.Elapsed >= nextReport)
                {
                    progress.Report(Rate(bytes, clock.Elapsed));
                    nextReport = clock.Elapsed + TimeSpan.FromMilliseconds(200);
                }
            }
            tcp.ShutdownWrite();
            // Discard closes once it has read everything: the end of stream here means every byte arrived.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            int n = await tcp.Stream.ReadAsync(new byte[1], timeout.Token).ConfigureAwait(false);
            var elapsed = clock.Elapsed;
            progress.Report(Rate(bytes, elapsed));
            return new DemoResult
            {
                Name = name,
                Driver = client.SocketDriver,
                Bytes = bytes,
                Elapsed = elapsed,
                Error = n == 0 ? null : "discard sent data back",
            };
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return DemoResult.Failed(name, client.SocketDriver, e.Message);
        }
    }

    /// <summary>Reads from chargen for <see cref="BulkDuration"/>, checking that the bytes are its printable lines.</summary>
    public static async Task<DemoResult> DownloadAsync(IDemoClient client, Address target, DemoConsole console, CancellationToken cancellationToken)
    {
        string name = $"TCP download from :19 {(target.IsV6 ? "v6" : "v4")}";
        try
        {
            await using var tcp = await client.ConnectTcpAsync(target, 19, cancellationToken).ConfigureAwait(false);
            var buffer = new byte[Chunk];
            using var progress = console.Begin(name, 0);
            var clock = Stopwatch.StartNew();
            long bytes = 0;
            var nextReport = TimeSpan.Zero;
            string? error = null;
            while (clock.Elapsed < BulkDuration)
            {
                int n = await tcp.Stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    error = "chargen closed the connection";
                    break;
                }
                if (buffer.AsSpan(0, n).IndexOfAnyExcept(ChargenBytes) >= 0)
                {
                    error = "chargen sent a byte that is not a printable character or line end";
                    break;
                }
                bytes += n;
                if (clock.Elapsed >= nextReport)
                {
                    progress.Report(Rate(bytes, clock.Elapsed));
                    nextReport = clock.Elapsed + TimeSpan.FromMilliseconds(200);
                }
            }
            var elapsed = clock.Elapsed;
            progress.Report(Rate(bytes, elapsed));
            return new DemoResult { Name = name, Driver = client.SocketDriver, Bytes = bytes, Elapsed = elapsed, Error = error };
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return DemoResult.Failed(name, client.SocketDriver, e.Message);
        }
    }

    private static string Rate(long bytes, TimeSpan elapsed) =>
        $"{Units.Bytes(bytes)}, {Units.BitRate(bytes / Math.Max(1e-9, elapsed.TotalSeconds))}";
}
