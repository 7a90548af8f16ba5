using System.Buffers;
using Netstack.Sockets;

namespace Netstack.Cli.Services;

/// <summary>TCP echo (RFC 862, port 7): whatever arrives goes back, until the peer closes.</summary>
internal static class TcpEchoHandler
{
    private const int BufferSize = 16 * 1024;

    public static async Task HandleAsync(TcpConnection connection, ServiceStats stats, CancellationToken token)
    {
        // An echo answers at once: Nagle's algorithm would hold a short answer while earlier bytes are unacknowledged.
        connection.NoDelay = true;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                int n = await connection.ReadAsync(buffer, token).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }
                stats.Received(n);
                await connection.WriteAsync(buffer.AsMemory(0, n), token).ConfigureAwait(false);
                stats.Sent(n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
