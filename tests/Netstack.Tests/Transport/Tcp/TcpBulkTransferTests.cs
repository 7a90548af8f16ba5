using System.Net;
using System.Security.Cryptography;
using Netstack.Sockets;
using Netstack.Transport.Tcp;
using TcpListener = Netstack.Sockets.TcpListener;

namespace Netstack.Tests.Transport.Tcp;

public class TcpBulkTransferTests
{
    [Theory]
    [InlineData(0, 0.0, 0.0, 0.0, CongestionControlAlgorithm.Cubic, true)]
    [InlineData(1, 0.05, 0.0, 0.0, CongestionControlAlgorithm.Cubic, true)]
    [InlineData(2, 0.05, 0.0, 0.0, CongestionControlAlgorithm.NewReno, false)]
    [InlineData(3, 0.02, 0.02, 0.05, CongestionControlAlgorithm.Cubic, true)]
    [InlineData(4, 0.02, 0.02, 0.05, CongestionControlAlgorithm.NewReno, false)]
    public async Task BulkTransferBothWaysArrivesIntact(int seed, double drop, double duplicate, double reorder, CongestionControlAlgorithm cc, bool sack)
    {
        var faults = new TwoStacks.Faults(seed, drop, duplicate, reorder);
        using var net = new TwoStacks(faults, new TcpProtocolOptions { Sack = sack, MinRetransmitTimeout = TimeSpan.FromMilliseconds(20) });
        var settings = new TcpConnectionSettings { CongestionControl = cc };
        await using var listener = new TcpListener(net.B, IPAddress.Any, 5000, settings);
        listener.Start();
        var accept = listener.AcceptAsync();
        await using var client = await TcpConnection.ConnectAsync(net.A, net.EndPointB(5000), settings).WaitAsync(TimeSpan.FromSeconds(10));
        await using var server = await accept.AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        var upload = new byte[2 << 20];
        var download = new byte[1 << 20];
        new Random(seed).NextBytes(upload);
        new Random(seed + 100).NextBytes(download);

        var clientSends = SendAndShutdown(client, upload);
        var serverSends = SendAndShutdown(server, download);
        var serverReceives = ReadAll(server);
        var clientReceives = ReadAll(client);
        await Task.WhenAll(clientSends, serverSends, serverReceives, clientReceives).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(SHA256.HashData(upload), SHA256.HashData(await serverReceives));
        Assert.Equal(SHA256.HashData(download), SHA256.HashData(await clientReceives));
        if (drop > 0)
        {
            Assert.True(client.GetStatistics().Retransmits > 0);
        }
    }

    internal static async Task SendAndShutdown(TcpConnection c, byte[] data)
    {
        for (int offset = 0; offset < data.Length; offset += 60000)
        {
            await c.WriteAsync(data.AsMemory(offset, Math.Min(60000, data.Length - offset)));
        }
        c.ShutdownWrite();
    }

    internal static async Task<byte[]> ReadAll(TcpConnection c)
    {
        var ms = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await c.ReadAsync(buffer)) > 0)
        {
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }
}

public class TcpLoopbackTests
{
    [Fact]
    public async Task AStackCanConnectToItself()
    {
        using var host = new TcpTestHost(fakeTime: false);
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        var accept = listener.AcceptAsync();
        await using var client = await TcpConnection.ConnectAsync(host.Stack, new IPEndPoint(TcpTestHost.Local.ToIPAddress(), 80)).WaitAsync(TimeSpan.FromSeconds(10));
        await using var server = await accept.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var data = new byte[300_000];
        Random.Shared.NextBytes(data);
        var send = TcpBulkTransferTests.SendAndShutdown(client, data);
        var got = await TcpBulkTransferTests.ReadAll(server).WaitAsync(TimeSpan.FromSeconds(10));
        await send;
        Assert.Equal(data, got);
        Assert.Equal(0, host.Link.DrainOutbound());
    }
}

public class TcpStreamTests
{
    [Fact]
    public async Task TheStreamWorksWithStreamReaderAndCopyToAsync()
    {
        using var net = new TwoStacks();
        await using var listener = new TcpListener(net.B, IPAddress.Any, 6000);
        listener.Start();
        var accept = listener.AcceptAsync();
        await using var client = await TcpConnection.ConnectAsync(net.A, net.EndPointB(6000)).WaitAsync(TimeSpan.FromSeconds(10));
        await using var server = await accept.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var serving = Task.Run(async () =>
        {
            using var reader = new StreamReader(server.Stream, leaveOpen: true);
            await using var writer = new StreamWriter(server.Stream, leaveOpen: true) { AutoFlush = true };
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null)
            {
                await writer.WriteLineAsync(line.ToUpperInvariant());
            }
            server.ShutdownWrite();
        });
        await using (var writer = new StreamWriter(client.Stream, leaveOpen: true) { AutoFlush = true })
        {
            for (int i = 0; i < 100; i++)
            {
                await writer.WriteLineAsync($"line {i}");
            }
        }
        client.ShutdownWrite();
        var all = new MemoryStream();
        await client.Stream.CopyToAsync(all).WaitAsync(TimeSpan.FromSeconds(10));
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
        var lines = System.Text.Encoding.UTF8.GetString(all.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(100, lines.Length);
        Assert.Equal("LINE 99", lines[^1].TrimEnd('\r'));
        Assert.False(client.Stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => client.Stream.Length);
    }
}
