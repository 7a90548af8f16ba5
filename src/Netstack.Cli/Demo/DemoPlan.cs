namespace Netstack.Cli.Demo;

/// <summary>The demo's tests, in order, against a host at <c>v4</c>/<c>v6</c> from any <see cref="IDemoClient"/>.</summary>
internal static class DemoPlan
{
    /// <summary>Pings per family.</summary>
    public const int Pings = 20;

    /// <summary>Round trips per echo test.</summary>
    public const int RoundTrips = 200;

    /// <summary>Runs every test; a failing test is recorded and the next one runs.</summary>
    public static async Task<List<DemoResult>> RunAsync(IDemoClient client, Address v4, Address v6, DemoConsole console, CancellationToken cancellationToken)
    {
        var results = new List<DemoResult>
        {
            await client.PingAsync(v4, Pings, console, cancellationToken).ConfigureAwait(false),
            await client.PingAsync(v6, Pings, console, cancellationToken).ConfigureAwait(false),
            await UdpAsync(client, v4, 64, RoundTrips, console, cancellationToken).ConfigureAwait(false),
            await UdpAsync(client, v6, 64, RoundTrips, console, cancellationToken).ConfigureAwait(false),
            await UdpAsync(client, v4, 4000, RoundTrips / 4, console, cancellationToken).ConfigureAwait(false),
            await TcpTests.EchoAsync(client, v4, 64, RoundTrips, console, cancellationToken).ConfigureAwait(false),
            await TcpTests.EchoAsync(client, v6, 64, RoundTrips, console, cancellationToken).ConfigureAwait(false),
            await TcpTests.UploadAsync(client, v4, console, cancellationToken).ConfigureAwait(false),
            await TcpTests.DownloadAsync(client, v4, console, cancellationToken).ConfigureAwait(false),
        };
        return results;
    }

    private static async Task<DemoResult> UdpAsync(IDemoClient client, Address target, int size, int count, DemoConsole console, CancellationToken cancellationToken)
    {
        string name = $"UDP echo {size} B {(target.IsV6 ? "v6" : "v4")}" + (size > 1472 ? " (fragmented)" : "");
        try
        {
            using var udp = client.OpenUdp(target, 7);
            return await UdpEchoTest.RunAsync(name, client.SocketDriver, size, count, udp.Send, udp.Receive, console, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return DemoResult.Failed(name, client.SocketDriver, e.Message);
        }
    }
}
