using System.Buffers;
using Netstack.Sockets;

namespace Netstack.Cli.Services;

/// <summary>
/// Reads a connection until the peer closes, holding a pooled buffer only while data is there: it waits with a
/// zero-byte read, so a thousand idle connections hold no buffers (16 KB each was most of the host's memory).
/// </summary>
internal static class IdleFreeReader
{
    /// <summary>Hands each read to <paramref name="onData"/> until end of stream.</summary>
    public static async Task RunAsync(TcpConnection connection, int bufferSize, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onData, CancellationToken token)
    {
        while (true)
        {
            await connection.ReadAsync(Memory<byte>.Empty, token).ConfigureAwait(false);
            var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
            try
            {
                do
                {
                    int n = await connection.ReadAsync(buffer, token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }
                    await onData(buffer.AsMemory(0, n), token).ConfigureAwait(false);
                }
                while (connection.Available > 0);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
