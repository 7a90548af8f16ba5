using System.Net;
using System.Net.Sockets;
using Netstack.Link.Channel;
using Netstack.Sockets;
using Netstack.Stack;
using Netstack.Tests.Transport.Udp;

namespace Netstack.Tests.Sockets;

public sealed class UdpSocketTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly byte[] Payload = "ping over a userspace stack"u8.ToArray();

    private readonly UdpTestHost _a = new(v4: "10.0.0.1/24", v6: "fd00::1/64");
    private readonly UdpTestHost _b = new(v4: "10.0.0.2/24", v6: "fd00::2/64");
    private readonly ChannelLink _cable;

    public UdpSocketTests() => _cable = new ChannelLink(_a.Link, _b.Link);

    public void Dispose()
    {
        _cable.Dispose();
        _a.Dispose();
        _b.Dispose();
    }

    private static IPEndPoint Ep(string address, int port) => new(IPAddress.Parse(address), port);

    [Theory]
    [InlineData(AddressFamily.InterNetwork, "10.0.0.2")]
    [InlineData(AddressFamily.InterNetworkV6, "fd00::2")]
    public async Task EchoBetweenTwoStacks(AddressFamily family, string serverAddress)
    {
        var any = family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(any, 7));
        await using var client = new UdpSocket(_a.Stack, family);
        var buffer = new byte[2048];
        var serverTask = Task.Run(async () =>
        {
            var r = await server.ReceiveFromAsync(buffer);
            await server.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), r.RemoteEndPoint);
            return r;
        });
        Assert.Equal(Payload.Length, await client.SendToAsync(Payload, Ep(serverAddress, 7)));
        var reply = new byte[2048];
        var got = await client.ReceiveFromAsync(reply).AsTask().WaitAsync(Timeout);
        Assert.Equal(Payload, reply[..got.ReceivedBytes]);
        Assert.Equal(Ep(serverAddress, 7), got.RemoteEndPoint);
        var request = await serverTask.WaitAsync(Timeout);
        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, ((IPEndPoint)request.RemoteEndPoint).Port);
    }

    [Fact]
    public async Task EmptyDatagramsAreDatagramsToo()
    {
        await using var server = new UdpSocket(_b.Stack, Ep("10.0.0.2", 9));
        await using var client = new UdpSocket(_a.Stack);
        Assert.Equal(0, client.SendTo(ReadOnlySpan<byte>.Empty, Ep("10.0.0.2", 9)));
        var r = await server.ReceiveMessageFromAsync(new byte[16]).AsTask().WaitAsync(Timeout);
        Assert.Equal(0, r.ReceivedBytes);
        Assert.False(r.Truncated);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), r.RemoteEndPoint.Address);
    }

    [Fact]
    public async Task ConnectedSendAndReceive()
    {
        await using var server = new UdpSocket(_b.Stack, Ep("10.0.0.2", 53));
        await using var client = new UdpSocket(_a.Stack);
        client.Connect(IPAddress.Parse("10.0.0.2"), 53);
        Assert.True(client.Connected);
        Assert.Equal(Ep("10.0.0.2", 53), client.RemoteEndPoint);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), ((IPEndPoint)client.LocalEndPoint!).Address);
        await client.SendAsync(Payload);
        var buffer = new byte[100];
        var r = await server.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0)).AsTask().WaitAsync(Timeout);
        await server.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint);
        int n = await client.ReceiveAsync(buffer).AsTask().WaitAsync(Timeout);
        Assert.Equal(Payload, buffer[..n]);
    }

    [Fact]
    public async Task SocketAddressOverloadsAllocateNoEndPoint()
    {
        await using var server = new UdpSocket(_b.Stack, Ep("10.0.0.2", 9));
        await using var client = new UdpSocket(_a.Stack, Ep("10.0.0.1", 4444));
        var to = Ep("10.0.0.2", 9).Serialize();
        Assert.Equal(Payload.Length, await client.SendToAsync(Payload, SocketFlags.None, to));
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var buffer = new byte[64];
        int n = await server.ReceiveFromAsync(buffer, SocketFlags.None, from).AsTask().WaitAsync(Timeout);
        Assert.Equal(Payload.Length, n);
        Assert.Equal(Ep("10.0.0.1", 4444), new IPEndPoint(IPAddress.Any, 0).Create(from));
    }

    [Fact]
    public async Task ReceiveMessageFromReportsTruncationAndPacketInformation()
    {
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        await using var client = new UdpSocket(_a.Stack);
        client.SendTo(Payload, Ep("10.0.0.2", 9));
        var small = new byte[4];
        var m = await server.ReceiveMessageFromAsync(small).AsTask().WaitAsync(Timeout);
        Assert.Equal(4, m.ReceivedBytes);
        Assert.True(m.Truncated);
        Assert.Equal(SocketFlags.Truncated, m.SocketFlags);
        Assert.Equal(Address.Parse("10.0.0.2"), m.LocalAddress);
        Assert.Equal(1, m.Interface);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), m.RemoteEndPoint.Address);
        Assert.Equal(Payload[..4], small);
    }

    [Fact]
    public async Task ReceiveFromTruncatesSilentlyAsDotNetOnLinux()
    {
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        await using var client = new UdpSocket(_a.Stack);
        client.SendTo(Payload, Ep("10.0.0.2", 9));
        client.SendTo("next"u8, Ep("10.0.0.2", 9));
        var small = new byte[4];
        var r = await server.ReceiveFromAsync(small).AsTask().WaitAsync(Timeout);
        Assert.Equal(4, r.ReceivedBytes);
        // The rest of the first datagram is gone; the next receive gets the next datagram.
        r = await server.ReceiveFromAsync(small).AsTask().WaitAsync(Timeout);
        Assert.Equal("next"u8.ToArray(), small[..r.ReceivedBytes]);
    }

    [Fact]
    public async Task UdpClientStyleReceiveReturnsAnExactArray()
    {
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        await using var client = new UdpSocket(_a.Stack);
        client.SendTo(Payload, Ep("10.0.0.2", 9));
        var r = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(Payload, r.Buffer);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), r.RemoteEndPoint.Address);
    }

    [Fact]
    public async Task ConcurrentReceivesCompleteInOrder()
    {
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        await using var client = new UdpSocket(_a.Stack);
        var buffers = Enumerable.Range(0, 3).Select(_ => new byte[16]).ToArray();
        var pending = buffers.Select(b => server.ReceiveAsync(b).AsTask()).ToArray();
        Assert.All(pending, t => Assert.False(t.IsCompleted));
        for (byte i = 0; i < 3; i++)
        {
            client.SendTo(new[] { i }, Ep("10.0.0.2", 9));
        }
        await Task.WhenAll(pending).WaitAsync(Timeout);
        Assert.Equal([0, 1, 2], buffers.Select(b => (int)b[0]));
    }

    [Fact]
    public async Task CancellationThrowsOperationCanceledAndLosesNothing()
    {
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        await using var client = new UdpSocket(_a.Stack);
        using var cts = new CancellationTokenSource();
        var receive = server.ReceiveFromAsync(new byte[16], cts.Token).AsTask();
        await Task.Delay(20);
        Assert.False(receive.IsCompleted);
        cts.Cancel();
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive.WaitAsync(Timeout));
        Assert.Equal(cts.Token, e.CancellationToken);
        // A cancelled receive took no datagram: the next one is there for the next receive.
        client.SendTo(Payload, Ep("10.0.0.2", 9));
        var buffer = new byte[64];
        var r = await server.ReceiveFromAsync(buffer).AsTask().WaitAsync(Timeout);
        Assert.Equal(Payload.Length, r.ReceivedBytes);
        // An already-cancelled token does not even start.
        Assert.True(server.ReceiveAsync(buffer, cts.Token).IsCanceled);
        Assert.True(client.SendAsync(buffer, cts.Token).IsCanceled);
    }

    [Fact]
    public async Task ReusedTokenDoesNotCancelALaterReceive()
    {
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        await using var client = new UdpSocket(_a.Stack);
        using var cts = new CancellationTokenSource();
        var buffer = new byte[64];
        for (int i = 0; i < 50; i++)
        {
            var receive = server.ReceiveAsync(buffer, cts.Token);
            client.SendTo(Payload, Ep("10.0.0.2", 9));
            Assert.Equal(Payload.Length, await receive.AsTask().WaitAsync(Timeout));
        }
        var last = server.ReceiveAsync(buffer, cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => last.WaitAsync(Timeout));
    }

    [Fact]
    public async Task CancellationRacingArrivalsNeverLosesOrDuplicatesADatagram()
    {
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9)) { ReceiveBufferSize = 64 << 20 };
        const int count = 3000;
        var received = new List<int>();
        var injector = new Thread(() =>
        {
            var payload = new byte[4];
            for (int i = 0; i < count; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(payload, i);
                _b.Inject(UdpPackets.V4(Address.Parse("10.0.0.1"), Address.Parse("10.0.0.2"), 1, 9, payload));
                if (i % 64 == 0)
                {
                    Thread.Yield();
                }
            }
        });
        injector.Start();
        var buffer = new byte[4];
        var random = new Random(7);
        var deadline = DateTime.UtcNow + Timeout;
        while (received.Count < count && DateTime.UtcNow < deadline)
        {
            using var cts = new CancellationTokenSource();
            var receive = server.ReceiveAsync(buffer, cts.Token);
            if (random.Next(3) == 0)
            {
                cts.Cancel();
            }
            try
            {
                await receive;
                received.Add(System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(buffer));
            }
            catch (OperationCanceledException)
            {
            }
        }
        injector.Join();
        Assert.Equal(Enumerable.Range(0, count), received);
        Assert.Equal(0, _b.Stats.DroppedReceiveBufferFull.Value + server.Available);
    }

    [Fact]
    public async Task DisposeWhileReceivingAbortsAndLaterCallsThrowObjectDisposed()
    {
        var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        var receive = server.ReceiveFromAsync(new byte[16]).AsTask();
        await Task.Delay(20);
        server.Dispose();
        var e = await Assert.ThrowsAsync<SocketException>(() => receive.WaitAsync(Timeout));
        Assert.Equal(SocketError.OperationAborted, e.SocketErrorCode);
        Assert.Throws<ObjectDisposedException>(() => server.ReceiveFromAsync(new byte[16]));
        Assert.Throws<ObjectDisposedException>(() => server.SendTo(Payload, Ep("10.0.0.1", 9)));
        Assert.Throws<ObjectDisposedException>(() => server.LocalEndPoint);
        // The port is free again.
        await using var again = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        await server.DisposeAsync();
    }

    [Fact]
    public void ErrorsAreTheSocketExceptionsOfDotNetOnLinux()
    {
        using var a = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        var e = Assert.Throws<SocketException>(() => new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9)));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        e = Assert.Throws<SocketException>(() => a.Bind(new IPEndPoint(IPAddress.Any, 10)));
        Assert.Equal(SocketError.InvalidArgument, e.SocketErrorCode);
        using var b = new UdpSocket(_b.Stack);
        e = Assert.Throws<SocketException>(() => b.Bind(Ep("10.9.9.9", 0)));
        Assert.Equal(SocketError.AddressNotAvailable, e.SocketErrorCode);
        e = Assert.Throws<SocketException>(() => b.Send(Payload));
        Assert.Equal(SocketError.DestinationAddressRequired, e.SocketErrorCode);
        e = Assert.Throws<SocketException>(() => b.SendTo(Payload, new IPEndPoint(IPAddress.IPv6Loopback, 9)));
        Assert.Equal(SocketError.AddressFamilyNotSupported, e.SocketErrorCode);
        e = Assert.Throws<SocketException>(() => b.SendTo(new byte[65508], Ep("10.0.0.1", 9)));
        Assert.Equal(SocketError.MessageSize, e.SocketErrorCode);
        e = Assert.Throws<SocketException>(() => b.SendTo(Payload, Ep("10.0.0.255", 9)));
        Assert.Equal(SocketError.AccessDenied, e.SocketErrorCode);
        b.EnableBroadcast = true;
        b.SendTo(Payload, Ep("10.0.0.255", 9));
        e = Assert.Throws<SocketException>(() => b.SendTo(Payload, Ep("192.0.2.1", 9)));
        Assert.Equal(SocketError.NetworkUnreachable, e.SocketErrorCode);
        var task = b.SendToAsync(Payload, Ep("192.0.2.1", 9));
        Assert.True(task.IsFaulted);
        using var unbound = new UdpSocket(_b.Stack);
        var ioe = Assert.Throws<InvalidOperationException>(() => unbound.ReceiveFromAsync(new byte[8]));
        Assert.Equal("You must call the Bind method before performing this operation.", ioe.Message);
        Assert.Throws<ArgumentException>(() => a.ReceiveAsync(new byte[8], SocketFlags.Peek));
        Assert.Throws<ArgumentException>(() => a.ReceiveFromAsync(new byte[8], new IPEndPoint(IPAddress.IPv6Any, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpSocket(_b.Stack, AddressFamily.Unix));
    }

    [Fact]
    public async Task PortUnreachableFailsTheNextReceiveOfAConnectedSocket()
    {
        await using var client = new UdpSocket(_a.Stack);
        client.Connect(Ep("10.0.0.2", 9));
        var receive = client.ReceiveAsync(new byte[16]).AsTask();
        var local = (IPEndPoint)client.LocalEndPoint!;
        var id = new TransportEndpointId((ushort)local.Port, Address.Parse("10.0.0.1"), 9, Address.Parse("10.0.0.2"));
        Assert.True(_a.Stack.DeliverTransportError(17, id, new TransportError(TransportErrorKind.PortUnreachable)));
        var e = await Assert.ThrowsAsync<SocketException>(() => receive.WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        // Reported once; the socket goes on working.
        client.Send(Payload);
    }

    [Fact]
    public async Task ContinuationsDoNotRunOnTheReceiveThread()
    {
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        int receiveThread = 0;
        int continuationThread = 0;
        var done = new TaskCompletionSource();
        async Task ReceiveOnce()
        {
            await server.ReceiveAsync(new byte[16]);
            continuationThread = Environment.CurrentManagedThreadId;
            done.SetResult();
        }
        var loop = ReceiveOnce();
        var injector = new Thread(() =>
        {
            receiveThread = Environment.CurrentManagedThreadId;
            _b.Inject(UdpPackets.V4(Address.Parse("10.0.0.1"), Address.Parse("10.0.0.2"), 1, 9, Payload));
        });
        injector.Start();
        injector.Join();
        await done.Task.WaitAsync(Timeout);
        await loop;
        Assert.NotEqual(receiveThread, continuationThread);
    }

    [Fact]
    public async Task MulticastJoinThroughUdpClientAndSocketOptionShapes()
    {
        var group = IPAddress.Parse("239.5.5.5");
        await using var first = new UdpSocket(_b.Stack);
        await using var second = new UdpSocket(_b.Stack);
        first.ReuseAddress = true;
        second.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        first.Bind(new IPEndPoint(IPAddress.Any, 5000));
        second.Bind(new IPEndPoint(IPAddress.Any, 5000));
        first.JoinMulticastGroup(group);
        second.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group, 1));
        var e = Assert.Throws<SocketException>(() => first.JoinMulticastGroup(group));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        await using var sender = new UdpSocket(_a.Stack);
        sender.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(1));
        sender.MulticastTimeToLive = 4;
        sender.SendTo(Payload, new IPEndPoint(group, 5000));
        Assert.Equal(4, _a.IPv4.LastParameters.Ttl);
        var r1 = await first.ReceiveMessageFromAsync(new byte[64]).AsTask().WaitAsync(Timeout);
        var r2 = await second.ReceiveMessageFromAsync(new byte[64]).AsTask().WaitAsync(Timeout);
        Assert.Equal(Address.FromIPAddress(group), r1.LocalAddress);
        Assert.Equal(Address.FromIPAddress(group), r2.LocalAddress);
        first.DropMulticastGroup(group);
        second.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.DropMembership, new MulticastOption(group, 1));
        Assert.DoesNotContain(Address.FromIPAddress(group), _b.Nic.Groups);
    }

    [Fact]
    public void SocketOptionsRoundTrip()
    {
        using var s = new UdpSocket(_a.Stack);
        Assert.Equal(212_992, s.ReceiveBufferSize);
        Assert.Equal(64, s.Ttl);
        s.Ttl = 17;
        Assert.Equal(17, (int)s.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive));
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer, 4096);
        Assert.Equal(4096, s.ReceiveBufferSize);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Broadcast, true);
        Assert.True(s.EnableBroadcast);
        s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 8);
        Assert.Equal(8, s.MulticastTimeToLive);
        s.DontFragment = true;
        Assert.Equal(1, (int)s.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.DontFragment));
        s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, 0x20);
        Assert.Equal(0x20, (int)s.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService));
        var e = Assert.Throws<SocketException>(() => s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true));
        Assert.Equal(SocketError.ProtocolOption, e.SocketErrorCode);
        e = Assert.Throws<SocketException>(() => s.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive, 3));
        Assert.Equal(SocketError.ProtocolOption, e.SocketErrorCode);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Ttl = 256);
        using var v6 = new UdpSocket(_a.Stack, AddressFamily.InterNetworkV6);
        v6.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.HopLimit, 33);
        Assert.Equal(33, v6.Ttl);
        Assert.Throws<NotSupportedException>(() => v6.DontFragment = true);
        Assert.Equal(SocketType.Dgram, v6.SocketType);
        Assert.Equal(ProtocolType.Udp, v6.ProtocolType);
        Assert.Null(v6.LocalEndPoint);
        Assert.Null(v6.RemoteEndPoint);
    }

    [Fact]
    public async Task SynchronousReceivesBlockTimeOutAndAreInterruptedByDispose()
    {
        var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9)) { ReceiveTimeout = 50 };
        var buffer = new byte[64];
        var e = Assert.Throws<SocketException>(() => server.Receive(buffer));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        // A timed-out receive took nothing: the next datagram goes to the next receive.
        await using var client = new UdpSocket(_a.Stack, new IPEndPoint(IPAddress.Any, 4242));
        client.SendTo(Payload, Ep("10.0.0.2", 9));
        server.ReceiveTimeout = 0;
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = server.ReceiveFrom(buffer, ref from);
        Assert.Equal(Payload, buffer[..n]);
        Assert.Equal(Ep("10.0.0.1", 4242), from);
        client.SendTo(Payload, Ep("10.0.0.2", 9));
        IPEndPoint? sender = null;
        Assert.Equal(Payload, server.Receive(ref sender));
        Assert.Equal(Ep("10.0.0.1", 4242), sender);
        client.SendTo(Payload, Ep("10.0.0.2", 9));
        var address = new SocketAddress(AddressFamily.InterNetwork);
        Assert.Equal(4, server.ReceiveFrom(buffer.AsSpan(0, 4), SocketFlags.None, address));
        Assert.Equal(Ep("10.0.0.1", 4242), new IPEndPoint(IPAddress.Any, 0).Create(address));
        var blocked = Task.Run(() => server.Receive(buffer));
        await Task.Delay(50);
        server.Dispose();
        e = await Assert.ThrowsAsync<SocketException>(() => blocked.WaitAsync(Timeout));
        Assert.Equal(SocketError.Interrupted, e.SocketErrorCode);
        Assert.Throws<ObjectDisposedException>(() => server.Receive(buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpSocket(_a.Stack) { ReceiveTimeout = -2 });
    }

    [Fact]
    public async Task AvailableIsTheNextDatagramSize()
    {
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 9));
        Assert.Equal(0, server.Available);
        _b.Inject(UdpPackets.V4(Address.Parse("10.0.0.1"), Address.Parse("10.0.0.2"), 1, 9, Payload));
        _b.Inject(UdpPackets.V4(Address.Parse("10.0.0.1"), Address.Parse("10.0.0.2"), 1, 9, new byte[3]));
        Assert.Equal(Payload.Length, server.Available);
        await server.ReceiveAsync(new byte[64]);
        Assert.Equal(3, server.Available);
    }

    [Fact]
    public async Task LinkLocalIPv6UsesTheScopeIdAsNic()
    {
        _a.Stack.AddAddress(1, AddressWithPrefix.Parse("fe80::1/64"));
        _b.Stack.AddAddress(1, AddressWithPrefix.Parse("fe80::2/64"));
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.IPv6Any, 9));
        await using var client = new UdpSocket(_a.Stack, AddressFamily.InterNetworkV6);
        client.SendTo(Payload, new IPEndPoint(IPAddress.Parse("fe80::2%1"), 9));
        var r = await server.ReceiveFromAsync(new byte[64]).AsTask().WaitAsync(Timeout);
        var from = (IPEndPoint)r.RemoteEndPoint;
        Assert.Equal(IPAddress.Parse("fe80::1%1"), from.Address);
        Assert.Equal(1, from.Address.ScopeId);
    }
}
