using System.Buffers;
using Netstack.Sockets;

namespace Netstack.Cli.Services;

/// <summary>
/// TCP character generator (RFC 864, port 19): lines of 72 printable characters, each starting one character
/// further along, sent as fast as the window allows until the peer closes or resets. What the peer sends is
/// read and dropped, so its close is noticed at once.
/// </summary>
internal static class TcpChargenHandler
{
    private const int LineLength = 72;
    private const int Printable = 95;

    /// <summary>Whole cycles of the pattern (95 lines of 74 bytes), close to 64 KiB, so writes continue it seamlessly.</summary>
    private static readonly byte[] Pattern = BuildPattern(9);

    public static async Task HandleAsync(TcpConnection connection, ServiceStats stats, CancellationToken token)
    {
        using var peerDone = CancellationTokenSource.CreateLinkedTokenSource(token);
        var drain = DrainAsync(connection, stats, peerDone);
        try
        {
            while (!peerDone.IsCancellationRequested)
            {
                await connection.WriteAsync(Pattern, peerDone.Token).ConfigureAwait(false);
                stats.Sent(Pattern.Length);
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            // The peer closed: stop sending.
        }
        finally
        {
            await peerDone.CancelAsync().ConfigureAwait(false);
            await drain.ConfigureAwait(false);
        }
    }

    private static async Task DrainAsync(TcpConnection connection, ServiceStats stats, CancellationTokenSource peerDone)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (true)
            {
                int n = await connection.ReadAsync(buffer, peerDone.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                stats.Received(n);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
        {
            // Reset or stopping: the writer stops too.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await peerDone.CancelAsync().ConfigureAwait(false);
        }
    }

    private static byte[] BuildPattern(int cycles)
    {
        var pattern = new byte[cycles * Printable * (LineLength + 2)];
        int p = 0;
        for (int c = 0; c < cycles; c++)
        {
            for (int line = 0; line < Printable; line++)
            {
                for (int i = 0; i < LineLength; i++)
                {
                    pattern[p++] = (byte)(' ' + (line + i) % Printable);
                }
                pattern[p++] = (byte)'\r';
                pattern[p++] = (byte)'\n';
            }
        }
        return pattern;
    }
}
