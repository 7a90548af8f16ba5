using Netstack.Sockets;

namespace Netstack.Cli.Services;

/// <summary>TCP echo (RFC 862, port 7): whatever arrives goes back, until the peer closes.</summary>
internal static class TcpEchoHandler
{
    private const int BufferSize = 16 * 1024;

    public static Task HandleAsync(TcpConnection connection, ServiceStats stats, CancellationToken token)
    {
        // An echo answers at once: Nagle's algorithm would hold a short answer while earlier bytes are unacknowledged.
        connection.NoDelay = true;
        return IdleFreeReader.RunAsync(connection, BufferSize, async (data, ct) =>
        {
            stats.Received(data.Length);
            await connection.WriteAsync(data, ct).ConfigureAwait(false);
            stats.Sent(data.Length);
        }, token);
    }
}
