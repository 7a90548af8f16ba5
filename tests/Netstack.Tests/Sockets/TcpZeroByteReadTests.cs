using System.Net;
using Netstack.Sockets;
using Netstack.Tests.Transport.Tcp;
using TcpListener = Netstack.Sockets.TcpListener;

namespace Netstack.Tests.Sockets;

/// <summary>Waiting for data without a buffer: a zero-byte read and <see cref="TcpConnection.Available"/>, as on a Socket.</summary>
public class TcpZeroByteReadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AZeroByteReadCompletesWhenDataArrivesAndAtEndOfStreamAndAvailableCountsUnreadBytes()
    {
        using var net = new TwoStacks();
        await using var listener = new TcpListener(net.B, IPAddress.Any, 80);
        listener.Start();
        var accept = listener.AcceptAsync();
        await using var client = await TcpConnection.ConnectAsync(net.A, net.EndPointB(80)).WaitAsync(Timeout);
        await using var server = await accept.AsTask().WaitAsync(Timeout);

        var wait = server.ReadAsync(Memory<byte>.Empty).AsTask();
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);
        Assert.Equal(0, server.Available);

        await client.WriteAsync("hello"u8.ToArray());
        Assert.Equal(0, await wait.WaitAsync(Timeout));
        Assert.Equal(5, server.Available);
        var buffer = new byte[3];
        Assert.Equal(3, await server.ReadAsync(buffer));
        Assert.Equal(2, server.Available);
        Assert.Equal(2, await server.ReadAsync(buffer));
        Assert.Equal(0, server.Available);

        client.ShutdownWrite();
        Assert.Equal(0, await server.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Timeout));
        Assert.Equal(0, await server.ReadAsync(buffer).AsTask().WaitAsync(Timeout));
    }
}
