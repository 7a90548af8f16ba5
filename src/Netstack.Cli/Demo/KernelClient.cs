using System.Net;
using System.Net.Sockets;

namespace Netstack.Cli.Demo;

/// <summary>The kernel as the demo's client: its ping (or a raw-socket probe when ping is missing) and its sockets, in the namespace.</summary>
internal sealed class KernelClient(KernelNamespace ns, TimeSpan pingInterval) : IDemoClient
{
    private readonly bool _havePing = KernelPing.Available;

    public string PingDriver => _havePing ? "kernel ping" : "own probe (kernel raw socket)";

    public string SocketDriver => "kernel socket";

    public Task<DemoResult> PingAsync(Address target, int count, DemoConsole console, CancellationToken cancellationToken) => _havePing
        ? KernelPing.RunAsync(ns, target, count, pingInterval, console, cancellationToken)
        : RawSocketPing.RunAsync(ns, target, count, pingInterval, console, cancellationToken);

    public DemoUdpClient OpenUdp(Address target, int port)
    {
        var socket = ns.Enter(() =>
        {
            var s = new Socket(target.IsV6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                s.Connect(new IPEndPoint(target.ToIPAddress(), port));
                return s;
            }
            catch
            {
                s.Dispose();
                throw;
            }
        });
        return new DemoUdpClient(
            async (data, token) => await socket.SendAsync(data, SocketFlags.None, token).ConfigureAwait(false),
            (buffer, token) => socket.ReceiveAsync(buffer, SocketFlags.None, token),
            socket);
    }

    public async Task<DemoTcpClient> ConnectTcpAsync(Address target, int port, CancellationToken cancellationToken)
    {
        var socket = ns.Enter(() => new Socket(target.IsV6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(new IPEndPoint(target.ToIPAddress(), port), cancellationToken).ConfigureAwait(false);
            return new DemoTcpClient(new NetworkStream(socket, ownsSocket: true), () => socket.Shutdown(SocketShutdown.Send));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
