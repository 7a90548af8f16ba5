using System.Net;
using System.Net.Sockets;
using Netstack.Stack;
using Netstack.Transport.Udp;

namespace Netstack.Sockets;

/// <summary>
/// A UDP socket on a userspace <see cref="NetworkStack"/>, shaped after <see cref="Socket"/> (datagram, UDP)
/// and <see cref="UdpClient"/>: the same method names, argument types, results and exceptions, so code written
/// for a kernel socket moves over by changing the constructor.
/// </summary>
/// <example>
/// <code>
/// await using var socket = new UdpSocket(stack, new IPEndPoint(IPAddress.Any, 7));
/// var buffer = new byte[2048];
/// while (true)
/// {
///     var received = await socket.ReceiveFromAsync(buffer, cancellationToken);
///     await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, cancellationToken);
/// }
/// </code>
/// </example>
/// <remarks>
/// <para>Errors are what .NET on Linux reports: <see cref="SocketException"/> with the
/// <see cref="SocketError"/> Linux's errno maps to (see <see cref="TcpipErrorExtensions"/>),
/// <see cref="OperationCanceledException"/> when the token fires, <see cref="ObjectDisposedException"/> for a
/// call after <see cref="Dispose"/>, and <see cref="SocketError.OperationAborted"/> for a receive that was
/// pending when the socket was disposed.</para>
/// <para>Datagram semantics, as <see cref="Socket"/> on Linux: a receive into a buffer smaller than the
/// datagram fills the buffer, discards the rest and reports only the bytes copied (no
/// <see cref="SocketError.MessageSize"/> error as on Windows); <see cref="ReceiveMessageFromAsync"/> reports
/// the truncation with <see cref="SocketFlags.Truncated"/>. Sends never wait: the datagram is handed to the
/// link (or lost with the link's queue full, as Linux does without IP_RECVERR), so the asynchronous send
/// methods complete synchronously. After <see cref="Connect(EndPoint)"/>, an ICMP error about the peer (port
/// unreachable and the like) fails the next receive or send with <see cref="SocketError.ConnectionRefused"/>
/// etc., once.</para>
/// <para>Asynchronous receives wait without a thread (the synchronous <see cref="Receive(Span{byte})"/> and
/// <see cref="ReceiveFrom(Span{byte}, ref EndPoint)"/> block their caller, up to <see cref="ReceiveTimeout"/>, and
/// fail with <see cref="SocketError.Interrupted"/> when the socket is disposed meanwhile, as on Linux); a steady receive loop with
/// <see cref="ReceiveAsync(Memory{byte}, CancellationToken)"/> or the <see cref="SocketAddress"/> overload of
/// <see cref="ReceiveFromAsync(Memory{byte}, SocketFlags, SocketAddress, CancellationToken)"/> allocates nothing;
/// the <see cref="EndPoint"/> results allocate the endpoint, as in .NET. Several receives may be pending at
/// once; they complete in order. Not supported: dual-mode (IPv4-mapped) IPv6 sockets, IP_MULTICAST_LOOP
/// (multicast loopback is the network layer's choice), <see cref="SocketFlags"/> other than None.</para>
/// </remarks>
public sealed class UdpSocket : IDisposable, IAsyncDisposable
{
    private const string MustBind = "You must call the Bind method before performing this operation.";

    private readonly UdpEndpoint _endpoint;
    private UdpReceiveOperation? _cachedReceive;
    private UdpBlockingReceive? _cachedBlockingReceive;
    private volatile int _receiveTimeout;
    private volatile bool _disposed;
    private int _sendBufferSize = UdpEndpoint.DefaultReceiveBufferSize;

    /// <summary>Creates an unbound UDP socket of <paramref name="addressFamily"/> on <paramref name="stack"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="stack"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The family is neither InterNetwork nor InterNetworkV6.</exception>
    /// <exception cref="InvalidOperationException">The stack does not run UDP.</exception>
    public UdpSocket(NetworkStack stack, AddressFamily addressFamily = AddressFamily.InterNetwork)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ushort network = addressFamily switch
        {
            AddressFamily.InterNetwork => NetworkProtocolNumber.IPv4,
            AddressFamily.InterNetworkV6 => NetworkProtocolNumber.IPv6,
            _ => throw new ArgumentOutOfRangeException(nameof(addressFamily), addressFamily,
                "A UdpSocket is InterNetwork (IPv4) or InterNetworkV6 (IPv6)."),
        };
        AddressFamily = addressFamily;
        _endpoint = UdpProtocol.Of(stack).CreateEndpoint(network);
    }

    /// <summary>Creates a UDP socket bound to <paramref name="localEndPoint"/> (as <c>new UdpClient(localEndPoint)</c>).</summary>
    /// <exception cref="SocketException">The bind failed (<see cref="SocketError.AddressAlreadyInUse"/>, <see cref="SocketError.AddressNotAvailable"/>, ...).</exception>
    public UdpSocket(NetworkStack stack, IPEndPoint localEndPoint)
        : this(stack, (localEndPoint ?? throw new ArgumentNullException(nameof(localEndPoint))).AddressFamily)
    {
        try
        {
            Bind(localEndPoint);
        }
        catch
        {
            _endpoint.Close();
            throw;
        }
    }

    /// <summary>The address family: InterNetwork or InterNetworkV6.</summary>
    public AddressFamily AddressFamily { get; }

    /// <summary>Always <see cref="SocketType.Dgram"/>.</summary>
    public SocketType SocketType => SocketType.Dgram;

    /// <summary>Always <see cref="ProtocolType.Udp"/>.</summary>
    public ProtocolType ProtocolType => ProtocolType.Udp;

    /// <summary>The stack-level endpoint under this socket (counters, queue depth, options not on <see cref="Socket"/>).</summary>
    public UdpEndpoint Endpoint => _endpoint;

    /// <summary>True once the socket has a local port (after Bind, Connect or the first send).</summary>
    public bool IsBound => _endpoint.State is UdpEndpointState.Bound or UdpEndpointState.Connected;

    /// <summary>True after a successful <see cref="Connect(EndPoint)"/>.</summary>
    public bool Connected => _endpoint.State == UdpEndpointState.Connected;

    /// <summary>The local endpoint (an <see cref="IPEndPoint"/>), or null before the socket is bound.</summary>
    public EndPoint? LocalEndPoint
    {
        get
        {
            ThrowIfDisposed();
            return IsBound ? EndPointConverter.ToIPEndPoint(_endpoint.LocalAddress) : null;
        }
    }

    /// <summary>The connected peer (an <see cref="IPEndPoint"/>), or null when not connected.</summary>
    public EndPoint? RemoteEndPoint
    {
        get
        {
            ThrowIfDisposed();
            return Connected ? EndPointConverter.ToIPEndPoint(_endpoint.RemoteAddress) : null;
        }
    }

    /// <summary>Payload size of the next waiting datagram (as <see cref="Socket.Available"/> on Linux), 0 if none.</summary>
    public int Available
    {
        get
        {
            ThrowIfDisposed();
            return _endpoint.NextDatagramSize;
        }
    }

    /// <summary>Permits sending to broadcast addresses (SO_BROADCAST); without it such a send fails with <see cref="SocketError.AccessDenied"/>.</summary>
    public bool EnableBroadcast
    {
        get => _endpoint.Broadcast;
        set
        {
            ThrowIfDisposed();
            _endpoint.Broadcast = value;
        }
    }

    /// <summary>
    /// Lets several sockets bind the same address and port when all of them set it before binding
    /// (SO_REUSEADDR; needed to run several multicast listeners on one port).
    /// </summary>
    public bool ReuseAddress
    {
        get => _endpoint.ReuseAddress;
        set
        {
            ThrowIfDisposed();
            _endpoint.ReuseAddress = value;
        }
    }

    /// <summary>Receive buffer size in bytes (SO_RCVBUF, default 212,992); datagrams beyond it are dropped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int ReceiveBufferSize
    {
        get => _endpoint.ReceiveBufferSize;
        set
        {
            ThrowIfDisposed();
            _endpoint.ReceiveBufferSize = value;
        }
    }

    /// <summary>
    /// Send buffer size (SO_SNDBUF), kept for code that sets it. Datagrams never queue in the socket (each send
    /// goes to the link at once), so the value limits nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int SendBufferSize
    {
        get => _sendBufferSize;
        set
        {
            ThrowIfDisposed();
            if (value <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(SendBufferSize), value, "SendBufferSize must be 1 or more bytes.");
            }
            _sendBufferSize = value;
        }
    }

    /// <summary>
    /// Milliseconds a synchronous receive (<see cref="Receive(Span{byte})"/>, <see cref="ReceiveFrom(Span{byte}, ref EndPoint)"/>)
    /// waits before failing with <see cref="SocketError.TimedOut"/>; 0 (or -1 when set) waits forever. Asynchronous
    /// receives use their <see cref="CancellationToken"/> instead.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below -1.</exception>
    public int ReceiveTimeout
    {
        get => _receiveTimeout;
        set
        {
            ThrowIfDisposed();
            if (value < -1)
            {
                throw new ArgumentOutOfRangeException(nameof(ReceiveTimeout), value, "ReceiveTimeout must be -1 or more milliseconds (0 and -1: no limit).");
            }
            _receiveTimeout = value == -1 ? 0 : value;
        }
    }

    /// <summary>TTL (IPv4) / hop limit (IPv6) of unicast datagrams; the stack's default (64) until set.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1..255.</exception>
    public short Ttl
    {
        get => (short)_endpoint.Ttl;
        set
        {
            ThrowIfDisposed();
            _endpoint.Ttl = value;
        }
    }

    /// <summary>TTL / hop limit of multicast datagrams (IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS), 1 by default.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1..255.</exception>
    public int MulticastTimeToLive
    {
        get => _endpoint.MulticastTtl;
        set
        {
            ThrowIfDisposed();
            _endpoint.MulticastTtl = value;
        }
    }

    /// <summary>Sets DF on IPv4 datagrams: one larger than the path MTU fails with <see cref="SocketError.MessageSize"/>.</summary>
    /// <exception cref="NotSupportedException">The socket is IPv6 (as with <see cref="Socket.DontFragment"/>).</exception>
    public bool DontFragment
    {
        get
        {
            ThrowIfNotIPv4();
            return _endpoint.DontFragment;
        }
        set
        {
            ThrowIfDisposed();
            ThrowIfNotIPv4();
            _endpoint.DontFragment = value;
        }
    }

    /// <summary>
    /// Binds to a local endpoint: <see cref="IPAddress.Any"/>/<see cref="IPAddress.IPv6Any"/> or one of the
    /// stack's addresses (or a multicast group); port 0 picks an ephemeral port. An IPv6 scope id binds to
    /// that NIC.
    /// </summary>
    /// <exception cref="SocketException"><see cref="SocketError.AddressAlreadyInUse"/>, <see cref="SocketError.AddressNotAvailable"/>,
    /// <see cref="SocketError.InvalidArgument"/> when already bound, <see cref="SocketError.AddressFamilyNotSupported"/>.</exception>
    public void Bind(EndPoint localEP)
    {
        ThrowIfDisposed();
        var local = EndPointConverter.ToFullAddress(localEP, AddressFamily);
        _endpoint.Bind(local).ThrowIfError();
    }

    /// <summary>
    /// Sets the default peer: <see cref="SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/> goes to it and
    /// only its datagrams are received. Binds an ephemeral port first if needed. May be called again.
    /// </summary>
    /// <exception cref="SocketException"><see cref="SocketError.NetworkUnreachable"/>, <see cref="SocketError.AccessDenied"/>
    /// (broadcast without <see cref="EnableBroadcast"/>), ...</exception>
    public void Connect(EndPoint remoteEP)
    {
        ThrowIfDisposed();
        var remote = EndPointConverter.ToFullAddress(remoteEP, AddressFamily);
        _endpoint.Connect(remote).ThrowIfError();
    }

    /// <summary>Connects to <paramref name="address"/>:<paramref name="port"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is outside 0..65535.</exception>
    public void Connect(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        Connect(new IPEndPoint(address, port));
    }

    /// <summary>Sends a datagram to <paramref name="remoteEP"/>; returns the bytes sent (all of them).</summary>
    /// <exception cref="SocketException"><see cref="SocketError.MessageSize"/> above 65,507 (IPv4) / 65,527 (IPv6) bytes,
    /// <see cref="SocketError.AccessDenied"/> for a broadcast without <see cref="EnableBroadcast"/>,
    /// <see cref="SocketError.NetworkUnreachable"/>, <see cref="SocketError.HostUnreachable"/>, ...</exception>
    public int SendTo(ReadOnlySpan<byte> buffer, EndPoint remoteEP) => SendTo(buffer, SocketFlags.None, remoteEP);

    /// <summary>Sends a datagram to <paramref name="remoteEP"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="socketFlags"/> is not None.</exception>
    public int SendTo(ReadOnlySpan<byte> buffer, SocketFlags socketFlags, EndPoint remoteEP)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        var remote = EndPointConverter.ToFullAddress(remoteEP, AddressFamily);
        SendResult(_endpoint.WriteTo(buffer, remote));
        return buffer.Length;
    }

    /// <summary>Sends a datagram to the address in <paramref name="socketAddress"/> (no allocation).</summary>
    /// <exception cref="ArgumentException"><paramref name="socketFlags"/> is not None.</exception>
    public int SendTo(ReadOnlySpan<byte> buffer, SocketFlags socketFlags, SocketAddress socketAddress)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        var remote = EndPointConverter.ReadSocketAddress(socketAddress, AddressFamily);
        SendResult(_endpoint.WriteTo(buffer, remote));
        return buffer.Length;
    }

    /// <summary>Sends a datagram to the connected peer.</summary>
    /// <exception cref="SocketException"><see cref="SocketError.DestinationAddressRequired"/> when not connected, or a send error.</exception>
    public int Send(ReadOnlySpan<byte> buffer) => Send(buffer, SocketFlags.None);

    /// <summary>Sends a datagram to the connected peer.</summary>
    /// <exception cref="ArgumentException"><paramref name="socketFlags"/> is not None.</exception>
    public int Send(ReadOnlySpan<byte> buffer, SocketFlags socketFlags)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        SendResult(_endpoint.Write(buffer));
        return buffer.Length;
    }

    /// <summary>Sends a datagram to <paramref name="remoteEP"/>; completes synchronously.</summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, EndPoint remoteEP, CancellationToken cancellationToken = default) =>
        SendToAsync(buffer, SocketFlags.None, remoteEP, cancellationToken);

    /// <summary>Sends a datagram to <paramref name="remoteEP"/>; completes synchronously.</summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, SocketFlags socketFlags, EndPoint remoteEP, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        var remote = EndPointConverter.ToFullAddress(remoteEP, AddressFamily);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }
        return AsSendTask(_endpoint.WriteTo(buffer.Span, remote), buffer.Length);
    }

    /// <summary>Sends a datagram to the address in <paramref name="socketAddress"/> (no allocation); completes synchronously.</summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, SocketFlags socketFlags, SocketAddress socketAddress, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        var remote = EndPointConverter.ReadSocketAddress(socketAddress, AddressFamily);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }
        return AsSendTask(_endpoint.WriteTo(buffer.Span, remote), buffer.Length);
    }

    /// <summary>Sends a datagram to the connected peer; completes synchronously.</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        SendAsync(buffer, SocketFlags.None, cancellationToken);

    /// <summary>Sends a datagram to the connected peer; completes synchronously.</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, SocketFlags socketFlags, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }
        return AsSendTask(_endpoint.Write(buffer.Span), buffer.Length);
    }

    /// <summary>Receives a datagram and its sender (the socket must be bound).</summary>
    /// <exception cref="InvalidOperationException">The socket is not bound.</exception>
    public ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ThrowIfNotBound();
        return StartReceive<SocketReceiveFromResult>(buffer, false, null, cancellationToken);
    }

    /// <summary>Receives a datagram and its sender; <paramref name="remoteEndPoint"/> names the expected family (as in <see cref="Socket"/>).</summary>
    public ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, EndPoint remoteEndPoint, CancellationToken cancellationToken = default) =>
        ReceiveFromAsync(buffer, SocketFlags.None, remoteEndPoint, cancellationToken);

    /// <summary>Receives a datagram and its sender; <paramref name="remoteEndPoint"/> names the expected family (as in <see cref="Socket"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="remoteEndPoint"/> is of another family, or <paramref name="socketFlags"/> is not None.</exception>
    /// <exception cref="InvalidOperationException">The socket is not bound.</exception>
    public ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, SocketFlags socketFlags, EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        CheckFamily(remoteEndPoint, nameof(remoteEndPoint));
        ThrowIfNotBound();
        return StartReceive<SocketReceiveFromResult>(buffer, false, null, cancellationToken);
    }

    /// <summary>
    /// Receives a datagram; the sender is written into <paramref name="receivedAddress"/> (create it with
    /// <c>new SocketAddress(AddressFamily)</c> once and reuse it): the allocation-free receive.
    /// </summary>
    /// <exception cref="InvalidOperationException">The socket is not bound.</exception>
    public ValueTask<int> ReceiveFromAsync(Memory<byte> buffer, SocketFlags socketFlags, SocketAddress receivedAddress, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        CheckReceivedAddress(receivedAddress);
        ThrowIfNotBound();
        return StartReceive<int>(buffer, false, receivedAddress, cancellationToken);
    }

    /// <summary>Receives a datagram (from the connected peer, or from anyone when not connected); returns the bytes copied.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <summary>Receives a datagram; returns the bytes copied.</summary>
    /// <exception cref="ArgumentException"><paramref name="socketFlags"/> is not None.</exception>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketFlags socketFlags, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        return StartReceive<int>(buffer, false, null, cancellationToken);
    }

    /// <summary>
    /// Receives a datagram with its sender, the address it was sent to and the NIC it came in on (IP_PKTINFO),
    /// and whether it was truncated; allocates nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The socket is not bound.</exception>
    public ValueTask<UdpReceiveMessageFromResult> ReceiveMessageFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ThrowIfNotBound();
        return StartReceive<UdpReceiveMessageFromResult>(buffer, false, null, cancellationToken);
    }

    /// <summary>Receives a datagram into a new array of its size, with its sender (as <see cref="UdpClient.ReceiveAsync(CancellationToken)"/>).</summary>
    /// <exception cref="InvalidOperationException">The socket is not bound.</exception>
    public ValueTask<UdpReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ThrowIfNotBound();
        return StartReceive<UdpReceiveResult>(default, true, null, cancellationToken);
    }

    /// <summary>
    /// Receives a datagram, blocking the calling thread up to <see cref="ReceiveTimeout"/>; returns the bytes
    /// copied (a larger datagram is truncated).
    /// </summary>
    /// <exception cref="SocketException"><see cref="SocketError.TimedOut"/>, <see cref="SocketError.Interrupted"/> when the
    /// socket is disposed meanwhile (as .NET on Linux), or a pending ICMP error.</exception>
    public int Receive(Span<byte> buffer) => Receive(buffer, SocketFlags.None);

    /// <summary>Receives a datagram, blocking (see <see cref="Receive(Span{byte})"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="socketFlags"/> is not None.</exception>
    public int Receive(Span<byte> buffer, SocketFlags socketFlags)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        return ReceiveBlocking(buffer).BytesCopied;
    }

    /// <summary>Receives a datagram and its sender, blocking (see <see cref="Receive(Span{byte})"/>).</summary>
    /// <exception cref="InvalidOperationException">The socket is not bound.</exception>
    public int ReceiveFrom(Span<byte> buffer, ref EndPoint remoteEP) => ReceiveFrom(buffer, SocketFlags.None, ref remoteEP);

    /// <summary>Receives a datagram and its sender, blocking (see <see cref="Receive(Span{byte})"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="remoteEP"/> is of another family, or <paramref name="socketFlags"/> is not None.</exception>
    /// <exception cref="InvalidOperationException">The socket is not bound.</exception>
    public int ReceiveFrom(Span<byte> buffer, SocketFlags socketFlags, ref EndPoint remoteEP)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        CheckFamily(remoteEP, nameof(remoteEP));
        ThrowIfNotBound();
        var result = ReceiveBlocking(buffer);
        remoteEP = EndPointConverter.ToIPEndPoint(result.Info.Remote);
        return result.BytesCopied;
    }

    /// <summary>Receives a datagram, blocking; the sender is written into <paramref name="receivedAddress"/> (no allocation).</summary>
    /// <exception cref="InvalidOperationException">The socket is not bound.</exception>
    public int ReceiveFrom(Span<byte> buffer, SocketFlags socketFlags, SocketAddress receivedAddress)
    {
        ThrowIfDisposed();
        CheckFlags(socketFlags);
        CheckReceivedAddress(receivedAddress);
        ThrowIfNotBound();
        var result = ReceiveBlocking(buffer);
        EndPointConverter.WriteSocketAddress(result.Info.Remote, receivedAddress);
        return result.BytesCopied;
    }

    /// <summary>Receives a datagram into a new array of its size, blocking, with its sender (as <see cref="UdpClient.Receive(ref IPEndPoint)"/>).</summary>
    /// <exception cref="InvalidOperationException">The socket is not bound.</exception>
    public byte[] Receive([System.Diagnostics.CodeAnalysis.NotNull] ref IPEndPoint? remoteEP)
    {
        ThrowIfDisposed();
        ThrowIfNotBound();
        var waiter = WaitBlocking();
        var error = waiter.TakeArray(out var bytes, out var info);
        ReturnBlocking(waiter);
        if (error != TcpipError.None)
        {
            throw BlockingReceiveException(error);
        }
        remoteEP = EndPointConverter.ToIPEndPoint(info.Remote);
        return bytes;
    }

    /// <summary>Joins <paramref name="multicastAddr"/> on the NIC the route table picks for it.</summary>
    /// <exception cref="SocketException"><see cref="SocketError.InvalidArgument"/> for a non-multicast address or no usable NIC,
    /// <see cref="SocketError.AddressAlreadyInUse"/> when already joined.</exception>
    public void JoinMulticastGroup(IPAddress multicastAddr) => JoinMulticastGroup(0, multicastAddr);

    /// <summary>Joins <paramref name="multicastAddr"/> on NIC <paramref name="ifindex"/> (a NIC id; 0: the route table's choice).</summary>
    public void JoinMulticastGroup(int ifindex, IPAddress multicastAddr)
    {
        ThrowIfDisposed();
        var group = GroupAddress(multicastAddr);
        _endpoint.JoinGroup(group, CheckIndex(ifindex)).ThrowIfError();
    }

    /// <summary>Joins <paramref name="multicastAddr"/> and sets the multicast TTL (as <see cref="UdpClient"/>).</summary>
    public void JoinMulticastGroup(IPAddress multicastAddr, int timeToLive)
    {
        JoinMulticastGroup(0, multicastAddr);
        MulticastTimeToLive = timeToLive;
    }

    /// <summary>Joins <paramref name="multicastAddr"/> on the NIC that has <paramref name="localAddress"/>.</summary>
    /// <exception cref="SocketException"><see cref="SocketError.AddressNotAvailable"/> when no NIC has <paramref name="localAddress"/>.</exception>
    public void JoinMulticastGroup(IPAddress multicastAddr, IPAddress localAddress) =>
        JoinMulticastGroup(NicOf(localAddress), multicastAddr);

    /// <summary>Leaves <paramref name="multicastAddr"/>.</summary>
    /// <exception cref="SocketException"><see cref="SocketError.AddressNotAvailable"/> when not joined.</exception>
    public void DropMulticastGroup(IPAddress multicastAddr) => DropMulticastGroup(multicastAddr, 0);

    /// <summary>Leaves <paramref name="multicastAddr"/> on NIC <paramref name="ifindex"/>.</summary>
    public void DropMulticastGroup(IPAddress multicastAddr, int ifindex)
    {
        ThrowIfDisposed();
        var group = GroupAddress(multicastAddr);
        _endpoint.LeaveGroup(group, CheckIndex(ifindex)).ThrowIfError();
    }

    /// <summary>
    /// Sets an option, as <see cref="Socket.SetSocketOption(SocketOptionLevel, SocketOptionName, int)"/>:
    /// Socket/ReuseAddress, Broadcast, ReceiveBuffer, SendBuffer; IP or IPv6/IpTimeToLive (HopLimit),
    /// MulticastTimeToLive, MulticastInterface; IP/DontFragment, TypeOfService.
    /// </summary>
    /// <exception cref="SocketException"><see cref="SocketError.ProtocolOption"/> for any other option.</exception>
    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, int optionValue)
    {
        ThrowIfDisposed();
        switch (Option(optionLevel, optionName))
        {
            case KnownOption.ReuseAddress:
                ReuseAddress = optionValue != 0;
                break;
            case KnownOption.Broadcast:
                EnableBroadcast = optionValue != 0;
                break;
            case KnownOption.ReceiveBuffer:
                ReceiveBufferSize = optionValue;
                break;
            case KnownOption.SendBuffer:
                SendBufferSize = optionValue;
                break;
            case KnownOption.Ttl:
                _endpoint.Ttl = optionValue;
                break;
            case KnownOption.MulticastTtl:
                _endpoint.MulticastTtl = optionValue;
                break;
            case KnownOption.MulticastInterface:
                _endpoint.MulticastNicId = MulticastInterfaceNic(optionValue);
                break;
            case KnownOption.DontFragment:
                DontFragment = optionValue != 0;
                break;
            case KnownOption.TypeOfService:
                _endpoint.TypeOfService = optionValue;
                break;
            default:
                throw new SocketException((int)SocketError.ProtocolOption);
        }
    }

    /// <summary>Sets a boolean option (see <see cref="SetSocketOption(SocketOptionLevel, SocketOptionName, int)"/>).</summary>
    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, bool optionValue) =>
        SetSocketOption(optionLevel, optionName, optionValue ? 1 : 0);

    /// <summary>
    /// Sets an object option: AddMembership / DropMembership with a <see cref="MulticastOption"/> (IP) or an
    /// <see cref="IPv6MulticastOption"/> (IPv6); otherwise an int or bool for the options of the int overload.
    /// </summary>
    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, object optionValue)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(optionValue);
        switch (optionName, optionValue)
        {
            case (SocketOptionName.AddMembership or SocketOptionName.DropMembership, MulticastOption v4)
                when optionLevel == SocketOptionLevel.IP:
                int nic = v4.InterfaceIndex != 0 ? v4.InterfaceIndex
                    : v4.LocalAddress is null || v4.LocalAddress.Equals(IPAddress.Any) ? 0 : NicOf(v4.LocalAddress);
                Membership(optionName, v4.Group, nic);
                break;
            case (SocketOptionName.AddMembership or SocketOptionName.DropMembership, IPv6MulticastOption v6)
                when optionLevel == SocketOptionLevel.IPv6:
                Membership(optionName, v6.Group, (int)Math.Min(v6.InterfaceIndex, int.MaxValue));
                break;
            case (_, int value):
                SetSocketOption(optionLevel, optionName, value);
                break;
            case (_, bool flag):
                SetSocketOption(optionLevel, optionName, flag);
                break;
            default:
                throw new ArgumentException(
                    $"{optionLevel}/{optionName} does not take a {optionValue.GetType().Name}: AddMembership/DropMembership take MulticastOption (IP) or IPv6MulticastOption (IPv6), other options an int or bool.",
                    nameof(optionValue));
        }
    }

    /// <summary>Reads an option set through <see cref="SetSocketOption(SocketOptionLevel, SocketOptionName, int)"/> (boxed int; booleans as 0/1).</summary>
    /// <exception cref="SocketException"><see cref="SocketError.ProtocolOption"/> for any other option.</exception>
    public object GetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName)
    {
        ThrowIfDisposed();
        return Option(optionLevel, optionName) switch
        {
            KnownOption.ReuseAddress => ReuseAddress ? 1 : 0,
            KnownOption.Broadcast => EnableBroadcast ? 1 : 0,
            KnownOption.ReceiveBuffer => ReceiveBufferSize,
            KnownOption.SendBuffer => SendBufferSize,
            KnownOption.Ttl => _endpoint.Ttl,
            KnownOption.MulticastTtl => _endpoint.MulticastTtl,
            KnownOption.MulticastInterface => _endpoint.MulticastNicId,
            KnownOption.DontFragment => DontFragment ? 1 : 0,
            KnownOption.TypeOfService => _endpoint.TypeOfService,
            _ => throw new SocketException((int)SocketError.ProtocolOption),
        };
    }

    /// <summary>Closes the socket (same as <see cref="Dispose"/>).</summary>
    public void Close() => Dispose();

    /// <summary>
    /// Closes the socket: its port and groups are released, queued datagrams dropped, and pending receives
    /// fail with <see cref="SocketException"/> (<see cref="SocketError.OperationAborted"/>). Later calls throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        _disposed = true;
        _endpoint.Close();
    }

    /// <summary>Closes the socket (see <see cref="Dispose"/>).</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public override string ToString() => $"UdpSocket {_endpoint.LocalAddress} -> {_endpoint.RemoteAddress}";

    internal void ReturnReceiveOperation(UdpReceiveOperation operation) =>
        Interlocked.CompareExchange(ref _cachedReceive, operation, null);

    // A failed receive: closed under the caller is ObjectDisposed (for a receive started after dispose) or
    // OperationAborted (for one pending at dispose); cancellation wins over an abort, as in .NET.
    internal Exception ReceiveException(TcpipError error, CancellationToken cancellationToken)
    {
        if (error == TcpipError.Aborted && cancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException(cancellationToken);
        }
        if (error == TcpipError.ClosedForReceive)
        {
            return new ObjectDisposedException(GetType().FullName);
        }
        return error.ToSocketException();
    }

    private ValueTask<T> StartReceive<T>(Memory<byte> buffer, bool allocate, SocketAddress? receivedAddress, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }
        var operation = Interlocked.Exchange(ref _cachedReceive, null) ?? new UdpReceiveOperation(this);
        operation.Start(buffer, allocate, receivedAddress, cancellationToken);
        var error = _endpoint.ReadOrWait(operation);
        if (error == TcpipError.WouldBlock)
        {
            operation.RegisterCancellation();
        }
        else if (error != TcpipError.None)
        {
            operation.Fail(error);
        }
        return new ValueTask<T>((System.Threading.Tasks.Sources.IValueTaskSource<T>)(object)operation, operation.Version);
    }

    private UdpReadResult ReceiveBlocking(Span<byte> buffer)
    {
        var waiter = WaitBlocking();
        var error = waiter.Take(buffer, out var result);
        ReturnBlocking(waiter);
        if (error != TcpipError.None)
        {
            throw BlockingReceiveException(error);
        }
        return result;
    }

    // Waits until the endpoint hands the waiter a datagram or an error, or the receive timeout passes.
    private UdpBlockingReceive WaitBlocking()
    {
        var waiter = Interlocked.Exchange(ref _cachedBlockingReceive, null) ?? new UdpBlockingReceive();
        waiter.Reset();
        var error = _endpoint.ReadOrWait(waiter);
        if (error == TcpipError.WouldBlock)
        {
            int timeout = _receiveTimeout;
            if (!waiter.Wait(timeout == 0 ? Timeout.Infinite : timeout))
            {
                if (_endpoint.CancelWait(waiter))
                {
                    ReturnBlocking(waiter);
                    throw new SocketException((int)SocketError.TimedOut);
                }
                // Completed while timing out: the datagram is on its way.
                waiter.Wait(Timeout.Infinite);
            }
        }
        else if (error != TcpipError.None)
        {
            waiter.OnError(error);
        }
        return waiter;
    }

    private void ReturnBlocking(UdpBlockingReceive waiter) =>
        Interlocked.CompareExchange(ref _cachedBlockingReceive, waiter, null);

    // A blocked receive ended by dispose is Interrupted (EINTR), as .NET on Linux reports it.
    private Exception BlockingReceiveException(TcpipError error) => error switch
    {
        TcpipError.Aborted => new SocketException((int)SocketError.Interrupted),
        TcpipError.ClosedForReceive => new ObjectDisposedException(GetType().FullName),
        _ => error.ToSocketException(),
    };

    private void CheckFamily(EndPoint endPoint, string name)
    {
        ArgumentNullException.ThrowIfNull(endPoint, name);
        if (endPoint.AddressFamily != AddressFamily)
        {
            throw new ArgumentException(
                $"The AddressFamily {endPoint.AddressFamily} is not valid for the {endPoint.GetType()} end point, use {AddressFamily} instead.",
                name);
        }
    }

    private void CheckReceivedAddress(SocketAddress receivedAddress)
    {
        ArgumentNullException.ThrowIfNull(receivedAddress);
        int need = AddressFamily == AddressFamily.InterNetwork ? 16 : 28;
        if (receivedAddress.Buffer.Length < need)
        {
            throw new ArgumentOutOfRangeException(nameof(receivedAddress), receivedAddress.Buffer.Length, $"The SocketAddress must hold {need} bytes for {AddressFamily}.");
        }
    }

    private static ValueTask<int> AsSendTask(TcpipError error, int length)
    {
        if (error == TcpipError.None)
        {
            return new ValueTask<int>(length);
        }
        return ValueTask.FromException<int>(SendException(error));
    }

    private void SendResult(TcpipError error)
    {
        if (error != TcpipError.None)
        {
            throw SendException(error);
        }
    }

    private static Exception SendException(TcpipError error) =>
        error == TcpipError.ClosedForSend ? new ObjectDisposedException(typeof(UdpSocket).FullName) : error.ToSocketException();

    private void Membership(SocketOptionName name, IPAddress group, int nic)
    {
        if (name == SocketOptionName.AddMembership)
        {
            JoinMulticastGroup(nic, group);
        }
        else
        {
            DropMulticastGroup(group, nic);
        }
    }

    private KnownOption Option(SocketOptionLevel level, SocketOptionName name)
    {
        var ipLevel = AddressFamily == AddressFamily.InterNetwork ? SocketOptionLevel.IP : SocketOptionLevel.IPv6;
        return (level, name) switch
        {
            (SocketOptionLevel.Socket, SocketOptionName.ReuseAddress) => KnownOption.ReuseAddress,
            (SocketOptionLevel.Socket, SocketOptionName.Broadcast) => KnownOption.Broadcast,
            (SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer) => KnownOption.ReceiveBuffer,
            (SocketOptionLevel.Socket, SocketOptionName.SendBuffer) => KnownOption.SendBuffer,
            (_, SocketOptionName.IpTimeToLive) when level == ipLevel => KnownOption.Ttl,
            (SocketOptionLevel.IPv6, SocketOptionName.HopLimit) when level == ipLevel => KnownOption.Ttl,
            (_, SocketOptionName.MulticastTimeToLive) when level == ipLevel => KnownOption.MulticastTtl,
            (_, SocketOptionName.MulticastInterface) when level == ipLevel => KnownOption.MulticastInterface,
            (SocketOptionLevel.IP, SocketOptionName.DontFragment) when level == ipLevel => KnownOption.DontFragment,
            (SocketOptionLevel.IP, SocketOptionName.TypeOfService) when level == ipLevel => KnownOption.TypeOfService,
            _ => KnownOption.None,
        };
    }

    // IP_MULTICAST_IF as .NET passes it: for IPv6 an interface index; for IPv4 an address in network byte
    // order, or an index given as IPAddress.HostToNetworkOrder(index) (an "address" in 0.0.0.0/8).
    private int MulticastInterfaceNic(int value)
    {
        if (AddressFamily == AddressFamily.InterNetworkV6)
        {
            return CheckIndex(value);
        }
        uint host = (uint)IPAddress.NetworkToHostOrder(value);
        if (host < 0x0100_0000)
        {
            return CheckIndex((int)host);
        }
        return NicOf(new IPAddress(BitConverter.GetBytes(value)));
    }

    private int NicOf(IPAddress localAddress)
    {
        ArgumentNullException.ThrowIfNull(localAddress);
        var nic = _endpoint.Stack.FindNicWithAddress(Address.FromIPAddress(localAddress));
        return nic?.Id ?? throw new SocketException((int)SocketError.AddressNotAvailable);
    }

    private Address GroupAddress(IPAddress multicastAddr)
    {
        ArgumentNullException.ThrowIfNull(multicastAddr);
        if (multicastAddr.AddressFamily != AddressFamily)
        {
            throw new ArgumentException($"The group {multicastAddr} is not an {AddressFamily} address.", nameof(multicastAddr));
        }
        return Address.FromIPAddress(multicastAddr);
    }

    private static int CheckIndex(int ifindex)
    {
        if (ifindex < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ifindex), ifindex, "The interface index (NIC id) must be 0 (any) or a NIC id.");
        }
        return ifindex;
    }

    private static void CheckFlags(SocketFlags socketFlags)
    {
        if (socketFlags != SocketFlags.None)
        {
            throw new ArgumentException($"SocketFlags {socketFlags} is not supported on a UdpSocket; pass SocketFlags.None.", nameof(socketFlags));
        }
    }

    private void ThrowIfNotBound()
    {
        if (!IsBound)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            throw new InvalidOperationException(MustBind);
        }
    }

    private void ThrowIfNotIPv4()
    {
        if (AddressFamily != AddressFamily.InterNetwork)
        {
            throw new NotSupportedException("DontFragment applies to IPv4 sockets only.");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private enum KnownOption
    {
        None,
        ReuseAddress,
        Broadcast,
        ReceiveBuffer,
        SendBuffer,
        Ttl,
        MulticastTtl,
        MulticastInterface,
        DontFragment,
        TypeOfService,
    }
}
