using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Netstack.Stack;
using Netstack.Transport.Tcp;

namespace Netstack.Sockets;

/// <summary>
/// A TCP connection on a <see cref="NetworkStack"/> (the analog of gVisor's <c>gonet.TCPConn</c>): open one
/// with <see cref="ConnectAsync(NetworkStack, IPEndPoint, TcpConnectionSettings?, CancellationToken)"/> or get
/// one from <see cref="TcpListener.AcceptAsync"/>, then use <see cref="Stream"/> or the read and write methods.
/// Failures are <see cref="SocketException"/>s with the matching <see cref="SocketError"/> (the stream wraps
/// them in <see cref="IOException"/>); cancellation throws <see cref="OperationCanceledException"/>.
/// One read and one write may be pending at a time. Disposing closes gracefully in the background, or
/// as <see cref="LingerState"/> says.
/// </summary>
public sealed class TcpConnection : IAsyncDisposable, IDisposable
{
    private readonly TcpEndpoint _endpoint;
    private readonly TcpStream _stream;
    private int _disposed;
    private LingerOption? _linger;

    internal TcpConnection(TcpEndpoint endpoint)
    {
        _endpoint = endpoint;
        _stream = new TcpStream(this);
        var id = endpoint.Id;
        LocalEndPoint = EndPointConverter.ToIPEndPoint(new FullAddress(id.LocalAddress, id.LocalPort, endpoint.NicId));
        RemoteEndPoint = EndPointConverter.ToIPEndPoint(new FullAddress(id.RemoteAddress, id.RemotePort, endpoint.NicId));
    }

    /// <summary>This side's address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The peer's address and port.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The connection as a stream; disposing it disposes the connection (as <c>NetworkStream</c> owning its socket).</summary>
    public Stream Stream => _stream;

    /// <summary>
    /// Bytes received and not yet read, as <see cref="Socket.Available"/>. With a zero-byte
    /// <see cref="ReadAsync"/> (which completes when data arrives) it lets a server wait without holding a buffer.
    /// </summary>
    public int Available => _endpoint.Available;

    /// <summary>The connection's TCP state.</summary>
    public TcpState State => _endpoint.State;

    /// <summary>All settings; setting replaces them (they take effect at once).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (the message names it).</exception>
    public TcpConnectionSettings Settings
    {
        get => _endpoint.Settings;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ThrowIfDisposed();
            _endpoint.UpdateSettings(value);
        }
    }

    /// <summary>Disables Nagle's algorithm (TCP_NODELAY).</summary>
    public bool NoDelay
    {
        get => Settings.NoDelay;
        set => Settings = Settings with { NoDelay = value };
    }

    /// <summary>Sends keepalive probes on an idle connection (SO_KEEPALIVE); timing in <see cref="Settings"/>.</summary>
    public bool KeepAlive
    {
        get => Settings.KeepAlive;
        set => Settings = Settings with { KeepAlive = value };
    }

    /// <summary>Send buffer size in bytes (SO_SNDBUF).</summary>
    public int SendBufferSize
    {
        get => Settings.SendBufferSize;
        set => Settings = Settings with { SendBufferSize = value };
    }

    /// <summary>Receive buffer size in bytes (SO_RCVBUF); the advertised window comes from it.</summary>
    public int ReceiveBufferSize
    {
        get => Settings.ReceiveBufferSize;
        set => Settings = Settings with { ReceiveBufferSize = value };
    }

    /// <summary>The congestion control algorithm (TCP_CONGESTION); switching keeps the current window.</summary>
    public CongestionControlAlgorithm CongestionControl
    {
        get => Settings.CongestionControl;
        set => Settings = Settings with { CongestionControl = value };
    }

    /// <summary>
    /// What disposing does (SO_LINGER): null or disabled, a graceful close that finishes in the background;
    /// enabled with 0 seconds, an abort with RST; enabled with N seconds, <see cref="DisposeAsync"/> waits up to N
    /// seconds for the peer to acknowledge everything, then aborts.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An enabled linger time outside 0..65535 seconds (as <c>Socket.LingerState</c>).</exception>
    public LingerOption? LingerState
    {
        get => _linger;
        set
        {
            if (value is { Enabled: true, LingerTime: < 0 or > ushort.MaxValue })
            {
                throw new ArgumentOutOfRangeException(nameof(LingerState), value.LingerTime, "LingerState.LingerTime must be 0..65535 seconds.");
            }
            _linger = value;
        }
    }

    /// <summary>The random flow hash that picks this connection's fd on a multi-fd link.</summary>
    public uint FlowHash => _endpoint.Hash;

    /// <summary>Opens a connection to <paramref name="remoteEndPoint"/> from an ephemeral port.</summary>
    public static Task<TcpConnection> ConnectAsync(NetworkStack stack, IPEndPoint remoteEndPoint, TcpConnectionSettings? settings = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(stack, remoteEndPoint, null, settings, cancellationToken);

    /// <summary>
    /// Opens a connection to <paramref name="remoteEndPoint"/>, from <paramref name="localEndPoint"/> when given
    /// (its address must be one of the stack's, port 0 for an ephemeral one).
    /// </summary>
    /// <exception cref="SocketException">Refused, timed out, unreachable, or the local address or port is unusable.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the attempt is aborted.</exception>
    public static Task<TcpConnection> ConnectAsync(NetworkStack stack, IPEndPoint remoteEndPoint, IPEndPoint? localEndPoint, TcpConnectionSettings? settings = null, CancellationToken cancellationToken = default)
    {
        // Argument errors are thrown here, not through the task (as Socket.ConnectAsync does).
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        var protocol = TcpProtocol.From(stack);
        settings ??= protocol.Options.DefaultConnectionSettings;
        settings.Validate();
        if (remoteEndPoint.Port == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(remoteEndPoint), remoteEndPoint.Port, "The remote port must be 1..65535.");
        }
        // An IPv6 scope id (fe80::1%2) names the NIC, as it names the interface for a kernel socket.
        var remote = EndPointConverter.ToFullAddress(remoteEndPoint);
        var local = localEndPoint is null ? default : EndPointConverter.ToFullAddress(localEndPoint);
        if (localEndPoint is not null && local.Address.Length != remote.Address.Length)
        {
            throw new ArgumentException($"The local endpoint {localEndPoint} is not of the remote endpoint's address family.", nameof(localEndPoint));
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TcpConnection>(cancellationToken);
        }
        return ConnectCoreAsync(protocol, settings, remote, local, cancellationToken);
    }

    private static async Task<TcpConnection> ConnectCoreAsync(TcpProtocol protocol, TcpConnectionSettings settings, FullAddress remote, FullAddress local, CancellationToken cancellationToken)
    {
        var localAddress = local.Address.IsUnspecified ? default : local.Address;
        int nicId = remote.NicId != 0 ? remote.NicId : local.NicId;
        var error = TcpEndpoint.Connect(protocol, settings, remote.Address, remote.Port, localAddress, local.Port, nicId, out var endpoint);
        if (error != TcpipError.None)
        {
            throw error.ToSocketException();
        }
        int result;
        try
        {
            result = await endpoint!.WaitForConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            endpoint!.Abort();
            throw;
        }
        if (result < 0)
        {
            endpoint.Close();
            throw TcpSocketErrors.FromResult(result);
        }
        return new TcpConnection(endpoint);
    }

    /// <summary>
    /// Reads up to <paramref name="buffer"/>.Length bytes; 0 at the end of the stream. With an empty buffer it completes
    /// (with 0) once data is there or the stream has ended, as a zero-byte read on a <see cref="Socket"/> does.
    /// </summary>
    /// <exception cref="SocketException">The connection was reset, timed out or aborted.</exception>
    /// <exception cref="ObjectDisposedException">The connection was disposed.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        int n = await _endpoint.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n <= 0 && IsDisposed)
        {
            // Disposed while the read was pending: as a Socket does, the operation was aborted.
            throw new SocketException((int)SocketError.OperationAborted);
        }
        if (n < 0)
        {
            throw TcpSocketErrors.FromResult(n);
        }
        return n;
    }

    /// <summary>Writes all of <paramref name="data"/> (it completes once the bytes are in the send buffer).</summary>
    /// <exception cref="SocketException">The connection was reset, timed out, aborted, or shut down for sending.</exception>
    /// <exception cref="ObjectDisposedException">The connection was disposed.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        int n = await _endpoint.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        if (n < 0)
        {
            throw IsDisposed ? new SocketException((int)SocketError.OperationAborted) : TcpSocketErrors.FromResult(n);
        }
    }

    /// <summary>Sends data Nagle's algorithm is holding back now; it does not wait for acknowledgments.</summary>
    public void Flush()
    {
        ThrowIfDisposed();
        _endpoint.Push();
    }

    /// <summary>Closes the sending direction: the peer reads end of stream after the data written so far (shutdown(SHUT_WR)).</summary>
    public void ShutdownWrite()
    {
        ThrowIfDisposed();
        _endpoint.ShutdownWrite();
    }

    /// <summary>Aborts the connection with a RST; pending reads and writes fail with <see cref="SocketError.ConnectionAborted"/>.</summary>
    public void Abort()
    {
        _endpoint.Abort();
    }

    /// <summary>A snapshot of the connection's state and counters (RTT, congestion window, retransmissions...).</summary>
    public TcpConnectionStatistics GetStatistics() => _endpoint.GetStatistics();

    /// <summary>Closes the connection as <see cref="LingerState"/> says.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        var linger = LingerState;
        if (linger is null || !linger.Enabled)
        {
            _endpoint.Close();
            return;
        }
        if (linger.LingerTime <= 0)
        {
            _endpoint.Abort();
            return;
        }
        _endpoint.ShutdownWrite();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(linger.LingerTime), _endpoint.Protocol.Stack.Time);
        try
        {
            await _endpoint.WaitForSendCompleteAsync(timeout.Token).ConfigureAwait(false);
            _endpoint.Close();
        }
        catch (OperationCanceledException)
        {
            _endpoint.Abort();
        }
    }

    /// <summary>Closes the connection as <see cref="LingerState"/> says (blocks for a positive linger time).</summary>
    public void Dispose()
    {
        var pending = DisposeAsync();
        if (!pending.IsCompleted)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"tcp {LocalEndPoint} -> {RemoteEndPoint} {State}";

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}
