using System.Net;
using Netstack.Cli.Host;
using Netstack.Sockets;

namespace Netstack.Cli.Demo;

/// <summary>A second userspace host as the demo's client (unprivileged mode): its own ping probe and its UDP and TCP sockets.</summary>
internal sealed class UserspaceClient(UserspaceHost host, EchoReplyTap tap, TimeSpan pingInterval) : IDemoClient
{
    public string PingDriver => "own probe (stack IP layer)";

    public string SocketDriver => "userspace socket";

    public Task<DemoResult> PingAsync(Address target, int count, DemoConsole console, CancellationToken cancellationToken) =>
        StackPing.RunAsync(host.Stack, tap, target, count, pingInterval, console, cancellationToken);

    public DemoUdpClient OpenUdp(Address target, int port)
    {
        var socket = new UdpSocket(host.Stack, target.IsV6 ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork);
        try
        {
            socket.Connect(new IPEndPoint(target.ToIPAddress(), port));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new DemoUdpClient(
            async (data, token) => await socket.SendAsync(data, token).ConfigureAwait(false),
            (buffer, token) => socket.ReceiveAsync(buffer, token),
            socket);
    }

    public async Task<DemoTcpClient> ConnectTcpAsync(Address target, int port, CancellationToken cancellationToken)
    {
        var connection = await TcpConnection.ConnectAsync(host.Stack, new IPEndPoint(target.ToIPAddress(), port), cancellationToken: cancellationToken).ConfigureAwait(false);
        connection.NoDelay = true;
        return new DemoTcpClient(connection.Stream, connection.ShutdownWrite);
    }
}
