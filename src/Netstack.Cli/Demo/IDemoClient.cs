namespace Netstack.Cli.Demo;

/// <summary>
/// The side that drives the demo's host: the kernel (ping, kernel sockets in the demo's namespace) or a
/// second userspace host (unprivileged mode). The tests are the same whichever it is.
/// </summary>
internal interface IDemoClient
{
    /// <summary>Who sends the pings, for the table ("kernel ping").</summary>
    string PingDriver { get; }

    /// <summary>Who the UDP and TCP clients are, for the table ("kernel socket").</summary>
    string SocketDriver { get; }

    /// <summary>Pings <paramref name="target"/> <paramref name="count"/> times.</summary>
    Task<DemoResult> PingAsync(Address target, int count, DemoConsole console, CancellationToken cancellationToken);

    /// <summary>A UDP client connected to <paramref name="target"/>:<paramref name="port"/>.</summary>
    DemoUdpClient OpenUdp(Address target, int port);

    /// <summary>A TCP connection to <paramref name="target"/>:<paramref name="port"/> (Nagle off).</summary>
    Task<DemoTcpClient> ConnectTcpAsync(Address target, int port, CancellationToken cancellationToken);
}
