using System.Buffers;
using Netstack.Sockets;

namespace Netstack.Cli.Services;

/// <summary>TCP discard (RFC 863, port 9): read and drop everything; close when the peer closes.</summary>
internal static class TcpDiscardHandler
{
    private const int BufferSize = 64 * 1024;

    public static async Task HandleAsync(TcpConnection connection, ServiceStats stats, CancellationToken token)
    {
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
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
