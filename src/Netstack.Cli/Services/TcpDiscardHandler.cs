using Netstack.Sockets;

namespace Netstack.Cli.Services;

/// <summary>TCP discard (RFC 863, port 9): read and drop everything; close when the peer closes.</summary>
internal static class TcpDiscardHandler
{
    private const int BufferSize = 64 * 1024;

    public static Task HandleAsync(TcpConnection connection, ServiceStats stats, CancellationToken token) =>
        IdleFreeReader.RunAsync(connection, BufferSize, (data, _) =>
        {
            stats.Received(data.Length);
            return ValueTask.CompletedTask;
        }, token);
}
