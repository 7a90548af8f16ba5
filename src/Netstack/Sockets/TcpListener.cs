using System.Net;
using System.Net.Sockets;
using Netstack.Stack;
using Netstack.Transport.Tcp;

namespace Netstack.Sockets;

/// <summary>
/// Listens for TCP connections on a <see cref="NetworkStack"/> (the analog of <c>System.Net.Sockets.TcpListener</c>
/// and gVisor's <c>gonet.TCPListener</c>): bind to an address and port (<see cref="IPAddress.Any"/> or
/// <see cref="IPAddress.IPv6Any"/> for every address of the family, port 0 for an ephemeral one),
/// <see cref="Start"/>, then <see cref="AcceptAsync"/>.
/// </summary>
public sealed class TcpListener : IAsyncDisposable, IDisposable
{
    private readonly NetworkStack _stack;
    private readonly TcpProtocol _protocol;
    private readonly TcpConnectionSettings _settings;
    private TcpListenEndpoint? _endpoint;
    private IPEndPoint _localEndPoint;
    private bool _disposed;

    /// <summary>A listener for <paramref name="localEndPoint"/>; accepted connections get <paramref name="settings"/>.</summary>
    public TcpListener(NetworkStack stack, IPEndPoint localEndPoint, TcpConnectionSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(localEndPoint);
        _stack = stack;
        _protocol = TcpProtocol.From(stack);
        _settings = settings ?? _protocol.Options.DefaultConnectionSettings;
        _settings.Validate();
        _localEndPoint = localEndPoint;
    }

    /// <summary>A listener for <paramref name="address"/> and <paramref name="port"/>.</summary>
    public TcpListener(NetworkStack stack, IPAddress address, int port, TcpConnectionSettings? settings = null)
        : this(stack, new IPEndPoint(address, port), settings)
    {
    }

    /// <summary>The bound address and port (the actual port once started with port 0).</summary>
    public IPEndPoint LocalEndPoint => _localEndPoint;

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    public bool Active => _endpoint is not null;

    /// <summary>Established connections waiting to be accepted.</summary>
    public int PendingConnections => _endpoint?.AcceptQueueLength ?? 0;

    /// <summary>Starts listening with an accept queue of <paramref name="backlog"/> connections (the SYN queue is as long, bounded by the protocol options; beyond it, SYN cookies).</summary>
    /// <exception cref="SocketException">The port is in use or the address is not the stack's.</exception>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public void Start(int backlog = 128)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (backlog < 0 || backlog > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(backlog), backlog, "backlog must be 0..65535.");
        }
        if (_endpoint is not null)
        {
            throw new InvalidOperationException("The listener is already started.");
        }
        var local = EndPointConverter.ToFullAddress(_localEndPoint);
        var error = TcpListenEndpoint.Listen(_protocol, _settings, local.Address, local.Port, Math.Max(1, backlog), out var endpoint);
        error.ThrowIfError();
        _endpoint = endpoint;
        _localEndPoint = new IPEndPoint(_localEndPoint.Address, endpoint!.Id.LocalPort);
    }

    /// <summary>Waits for the next connection.</summary>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    /// <exception cref="SocketException">The listener was stopped (<see cref="SocketError.OperationAborted"/>).</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public async ValueTask<TcpConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var endpoint = _endpoint ?? throw new InvalidOperationException("Call Start before AcceptAsync.");
        var accepted = await endpoint.AcceptAsync(cancellationToken).ConfigureAwait(false);
        if (accepted is null)
        {
            throw new SocketException((int)SocketError.OperationAborted);
        }
        return new TcpConnection(accepted);
    }

    /// <summary>Stops listening; connections not yet accepted are reset. Accepted connections are not affected.</summary>
    public void Stop()
    {
        var endpoint = _endpoint;
        _endpoint = null;
        endpoint?.Close();
    }

    /// <summary>Stops and releases the listener.</summary>
    public void Dispose()
    {
        _disposed = true;
        Stop();
    }

    /// <summary>Stops and releases the listener.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public override string ToString() => $"tcp listener {_localEndPoint}{(Active ? "" : " (stopped)")}";
}
