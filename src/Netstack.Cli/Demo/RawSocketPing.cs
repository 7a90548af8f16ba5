using System.Net;
using System.Net.Sockets;

namespace Netstack.Cli.Demo;

/// <summary>
/// The demo's own ping through a kernel raw ICMP socket opened inside its namespace, for machines without
/// the <c>ping</c> program: the same echo requests the kernel's ping sends, from the kernel's stack.
/// </summary>
internal static class RawSocketPing
{
    public static async Task<DemoResult> RunAsync(KernelNamespace ns, Address target, int count, TimeSpan interval, DemoConsole console, CancellationToken cancellationToken)
    {
        bool v6 = target.IsV6;
        using var socket = ns.Enter(() => new Socket(
            v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork,
            SocketType.Raw,
            v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp));
        ushort identifier = (ushort)Random.Shared.Next(1, 65536);
        var request = new byte[EchoMessage.Size];
        var buffer = new byte[2048];
        var remote = new IPEndPoint(target.ToIPAddress(), 0);
        return await RoundTripDriver.RunAsync($"ping {target}", "own probe (kernel raw socket)", count, interval, async (i, token) =>
        {
            EchoMessage.WriteRequest(request, v6, identifier, (ushort)i);
            await socket.SendToAsync(request, SocketFlags.None, remote, token).ConfigureAwait(false);
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
                // An IPv4 raw socket hands over the IP header too; an ICMPv6 one only the message.
                int skip = v6 ? 0 : (buffer[0] & 0xF) * 4;
                if (n > skip && EchoMessage.IsReply(buffer.AsSpan(skip, n - skip), v6, identifier, (ushort)i))
                {
                    return true;
                }
            }
        }, console, cancellationToken).ConfigureAwait(false);
    }
}
