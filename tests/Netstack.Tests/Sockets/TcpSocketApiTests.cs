using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Netstack.Sockets;
using Netstack.Stack;
using Netstack.Tests.Transport.Tcp;
using Netstack.Transport.Tcp;
using TcpListener = Netstack.Sockets.TcpListener;

namespace Netstack.Tests.Sockets;

/// <summary>
/// The TCP socket API as a .NET developer meets it: binding, accepting and connecting with cancellation,
/// the stream, options, statistics, and the exception kinds (SocketException with the matching
/// SocketError, IOException from the stream, OperationCanceledException, ObjectDisposedException, and
/// argument or state errors that name what was wrong). Two stacks on an in-memory cable, real time.
/// </summary>
public class TcpSocketApiTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AListenerOnOneAddressServesOnlyThatAddressAndOneOnAnyServesAll()
    {
        using var net = new TwoStacks();
        var second = Address.V4(10, 0, 0, 3);
        net.B.AddAddress(1, new AddressWithPrefix(second, 24));
        await using var specific = new TcpListener(net.B, TwoStacks.AddressB.ToIPAddress(), 80);
        specific.Start();
        await using var any = new TcpListener(net.B, IPAddress.Any, 81);
        any.Start();
        Assert.Equal(new IPEndPoint(IPAddress.Any, 81), any.LocalEndPoint);

        await using (var c = await TcpConnection.ConnectAsync(net.A, net.EndPointB(80)).WaitAsync(Timeout))
        await using (var s = await specific.AcceptAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(TwoStacks.AddressB.ToIPAddress(), s.LocalEndPoint.Address);
            Assert.Equal(c.LocalEndPoint, s.RemoteEndPoint);
        }
        var refused = await Assert.ThrowsAsync<SocketException>(() => TcpConnection.ConnectAsync(net.A, new IPEndPoint(second.ToIPAddress(), 80)).WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        foreach (var address in new[] { TwoStacks.AddressB, second })
        {
            await using var c = await TcpConnection.ConnectAsync(net.A, new IPEndPoint(address.ToIPAddress(), 81)).WaitAsync(Timeout);
            await using var s = await any.AcceptAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(address.ToIPAddress(), s.LocalEndPoint.Address);
        }
    }

    [Fact]
    public async Task PortZeroTakesAnEphemeralPortAndAnExplicitLocalEndPointIsHonoured()
    {
        using var net = new TwoStacks();
        await using var listener = new TcpListener(net.B, IPAddress.Any, 0);
        listener.Start();
        int port = listener.LocalEndPoint.Port;
        Assert.InRange(port, 32768, 60999);
        var local = new IPEndPoint(TwoStacks.AddressA.ToIPAddress(), 4321);
        await using var c = await TcpConnection.ConnectAsync(net.A, net.EndPointB(port), local).WaitAsync(Timeout);
        Assert.Equal(local, c.LocalEndPoint);
        // The port is taken while the connection lives.
        var busy = await Assert.ThrowsAsync<SocketException>(() => TcpConnection.ConnectAsync(net.A, net.EndPointB(port), local));
        Assert.Equal(SocketError.AddressAlreadyInUse, busy.SocketErrorCode);
    }

    [Fact]
    public async Task AcceptCanBeCancelledAndTheListenerStillWorks()
    {
        using var net = new TwoStacks();
        await using var listener = new TcpListener(net.B, IPAddress.Any, 80);
        listener.Start();
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await listener.AcceptAsync(cts.Token));
        }
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await listener.AcceptAsync(cancelled.Token));
        }
        await using var c = await TcpConnection.ConnectAsync(net.A, net.EndPointB(80)).WaitAsync(Timeout);
        await using var s = await listener.AcceptAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(TcpState.Established, s.State);
    }

    [Fact]
    public async Task ConnectHonoursCancellationAndReportsFailuresAsSocketErrors()
    {
        using var net = new TwoStacks();
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TcpConnection.ConnectAsync(net.A, net.EndPointB(80), cancellationToken: cancelled.Token));
        }
        // Nobody answers: a timeout given as a cancellation (the usual .NET way) aborts the attempt.
        net.B.RemoveAddress(1, TwoStacks.AddressB);
        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TcpConnection.ConnectAsync(net.A, net.EndPointB(80), cancellationToken: soon.Token));
        }
        Assert.Equal(0, TcpProtocol.From(net.A).ActiveEndpoints);
        var unreachable = await Assert.ThrowsAsync<SocketException>(() => TcpConnection.ConnectAsync(net.A, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 80)));
        Assert.Equal(SocketError.NetworkUnreachable, unreachable.SocketErrorCode);
    }

    [Fact]
    public async Task TheStreamCarriesDataBothWaysAndShutdownWriteEndsOneDirection()
    {
        using var net = new TwoStacks();
        await using var listener = new TcpListener(net.B, IPAddress.Any, 80);
        listener.Start();
        var accept = listener.AcceptAsync();
        await using var client = await TcpConnection.ConnectAsync(net.A, net.EndPointB(80)).WaitAsync(Timeout);
        await using var server = await accept.AsTask().WaitAsync(Timeout);
        var request = RandomNumberGenerator.GetBytes(300_000);
        var writing = Task.Run(async () =>
        {
            await client.Stream.WriteAsync(request);
            await client.Stream.FlushAsync();
            client.ShutdownWrite();
        });
        var received = new MemoryStream();
        await server.Stream.CopyToAsync(received).WaitAsync(Timeout);
        await writing;
        Assert.Equal(SHA256.HashData(request), SHA256.HashData(received.ToArray()));
        // The other direction is still open.
        server.Stream.Write("reply"u8);
        server.ShutdownWrite();
        var reply = new byte[16];
        int n = 0;
        int r;
        while ((r = await client.Stream.ReadAsync(reply.AsMemory(n)).AsTask().WaitAsync(Timeout)) > 0)
        {
            n += r;
        }
        Assert.Equal("reply"u8.ToArray(), reply[..n]);
        var stats = client.GetStatistics();
        Assert.Equal(300_000, stats.BytesSent);
        Assert.Equal(300_000, stats.BytesAcked);
        Assert.Equal(5, stats.BytesReceived);
        Assert.True(stats.SmoothedRtt > TimeSpan.Zero && stats.CongestionWindow > 0 && stats.SegmentsSent > 0, stats.ToString());
        Assert.Equal(0, stats.Retransmits);
    }

    [Fact]
    public async Task OptionsAreReadAndWrittenAndBadValuesAreNamed()
    {
        using var net = new TwoStacks();
        await using var listener = new TcpListener(net.B, IPAddress.Any, 80);
        listener.Start();
        await using var c = await TcpConnection.ConnectAsync(net.A, net.EndPointB(80)).WaitAsync(Timeout);
        Assert.False(c.NoDelay);
        Assert.False(c.KeepAlive);
        Assert.Equal(CongestionControlAlgorithm.Cubic, c.CongestionControl);
        c.NoDelay = true;
        c.KeepAlive = true;
        c.SendBufferSize = 65536;
        c.ReceiveBufferSize = 131072;
        c.CongestionControl = CongestionControlAlgorithm.NewReno;
        Assert.True(c.NoDelay && c.KeepAlive);
        Assert.Equal(65536, c.SendBufferSize);
        Assert.Equal(131072, c.ReceiveBufferSize);
        Assert.Equal(CongestionControlAlgorithm.NewReno, c.GetStatistics().CongestionControl);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => c.ReceiveBufferSize = 10);
        Assert.Contains("ReceiveBufferSize", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => c.Settings = c.Settings with { KeepAliveCount = 0 });
        Assert.Contains("KeepAliveCount", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => c.Settings = c.Settings with { UserTimeout = TimeSpan.Zero });
        Assert.Contains("UserTimeout", e.Message);
        Assert.NotEqual(0u, c.FlowHash);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => c.LingerState = new LingerOption(true, -1));
        Assert.Contains("LingerTime", e.Message);
        c.LingerState = new LingerOption(false, -1);
    }

    [Fact]
    public async Task MisuseThrowsClearExceptions()
    {
        using var net = new TwoStacks();
        var listener = new TcpListener(net.B, IPAddress.Any, 80);
        var notStarted = await Assert.ThrowsAsync<InvalidOperationException>(async () => await listener.AcceptAsync());
        Assert.Contains("Start", notStarted.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => listener.Start(-1));
        listener.Start();
        Assert.Throws<InvalidOperationException>(() => listener.Start());
        using var busy = new TcpListener(net.B, IPAddress.Any, 80);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => busy.Start()).SocketErrorCode);
        using var foreign = new TcpListener(net.B, IPAddress.Parse("10.9.9.9"), 80);
        Assert.Equal(SocketError.AddressNotAvailable, Assert.Throws<SocketException>(() => foreign.Start()).SocketErrorCode);

        Assert.Throws<ArgumentNullException>(() => { _ = TcpConnection.ConnectAsync(net.A, null!); });
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TcpConnection.ConnectAsync(net.A, net.EndPointB(0)));
        await Assert.ThrowsAsync<ArgumentException>(() => TcpConnection.ConnectAsync(net.A, net.EndPointB(80), new IPEndPoint(IPAddress.IPv6Loopback, 0)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TcpConnection.ConnectAsync(net.A, net.EndPointB(80), new TcpConnectionSettings { SendBufferSize = 1 }));

        await using var c = await TcpConnection.ConnectAsync(net.A, net.EndPointB(80)).WaitAsync(Timeout);
        await using var s = await listener.AcceptAsync().AsTask().WaitAsync(Timeout);
        // One write at a time: the second of two concurrent writes is refused (as one read at a time).
        c.SendBufferSize = 4096;
        var blocked = c.WriteAsync(new byte[1 << 20]).AsTask();
        var second = await Assert.ThrowsAsync<InvalidOperationException>(async () => await c.WriteAsync(new byte[1]));
        Assert.Contains("write is already pending", second.Message);
        var drain = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            long total = 0;
            while (total < 1 << 20)
            {
                total += await s.ReadAsync(buffer);
            }
        });
        await blocked.WaitAsync(Timeout);
        await drain.WaitAsync(Timeout);

        var stream = c.Stream;
        Assert.False(stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Position = 1);
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = stream.ReadAsync(new byte[4], 2, 5); });
        listener.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptAsync());
        Assert.Throws<ObjectDisposedException>(() => listener.Start());
    }

    [Fact]
    public async Task AfterDisposeEveryOperationThrowsObjectDisposed()
    {
        using var net = new TwoStacks();
        await using var listener = new TcpListener(net.B, IPAddress.Any, 80);
        listener.Start();
        var c = await TcpConnection.ConnectAsync(net.A, net.EndPointB(80)).WaitAsync(Timeout);
        var stream = c.Stream;
        await c.DisposeAsync();
        await c.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await c.ReadAsync(new byte[1]));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await c.WriteAsync(new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => c.ShutdownWrite());
        Assert.Throws<ObjectDisposedException>(() => c.Flush());
        Assert.Throws<ObjectDisposedException>(() => c.NoDelay = true);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => Assert.Equal(0, await stream.ReadAsync(new byte[1])));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await stream.WriteAsync(new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => stream.Write(new byte[1]));
        Assert.False(stream.CanRead || stream.CanWrite);
        // Reading the state and statistics stays possible, as on a disposed Socket's properties.
        _ = c.State;
        _ = c.GetStatistics();
    }

    [Fact]
    public async Task APeersResetSurfacesAsSocketExceptionOrIOExceptionFromTheStream()
    {
        using var net = new TwoStacks();
        await using var listener = new TcpListener(net.B, IPAddress.Any, 80);
        listener.Start();
        await using var c = await TcpConnection.ConnectAsync(net.A, net.EndPointB(80)).WaitAsync(Timeout);
        var s = await listener.AcceptAsync().AsTask().WaitAsync(Timeout);
        s.LingerState = new LingerOption(true, 0);
        await s.DisposeAsync();
        var io = await Assert.ThrowsAsync<IOException>(async () => await c.Stream.ReadAsync(new byte[1]).AsTask().WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(io.InnerException).SocketErrorCode);
        var direct = await Assert.ThrowsAsync<SocketException>(async () => await c.WriteAsync(new byte[1]));
        Assert.Equal(SocketError.ConnectionReset, direct.SocketErrorCode);
    }
}
