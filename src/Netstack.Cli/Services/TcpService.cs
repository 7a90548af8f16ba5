using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Netstack.Sockets;
using Netstack.Stack;
using TcpListener = Netstack.Sockets.TcpListener;

namespace Netstack.Cli.Services;

/// <summary>
/// A TCP service: a listener per address family on one port, an accept loop each, and one asynchronous handler
/// per connection (no thread per connection). Disposing stops the listeners and closes every open connection.
/// </summary>
internal sealed class TcpService : IAsyncDisposable
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(3);

    private readonly List<TcpListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly ConcurrentDictionary<TcpConnection, Task> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<TcpConnection, ServiceStats, CancellationToken, Task> _handler;

    private TcpService(ServiceStats stats, Func<TcpConnection, ServiceStats, CancellationToken, Task> handler)
    {
        Stats = stats;
        _handler = handler;
    }

    /// <summary>The service's counters.</summary>
    public ServiceStats Stats { get; }

    /// <summary>Listens on <paramref name="port"/> for each family of <paramref name="addresses"/> and serves every connection with <paramref name="handler"/>.</summary>
    /// <exception cref="SocketException">The port is taken.</exception>
    public static TcpService Start(
        NetworkStack stack,
        string name,
        int port,
        IReadOnlyList<Address> addresses,
        int backlog,
        Func<TcpConnection, ServiceStats, CancellationToken, Task> handler)
    {
        var service = new TcpService(new ServiceStats(name), handler);
        try
        {
            foreach (var any in new[] { IPAddress.Any, IPAddress.IPv6Any })
            {
                if (!addresses.Any(a => a.ToIPAddress().AddressFamily == any.AddressFamily))
                {
                    continue;
                }
                var listener = new TcpListener(stack, any, port);
                listener.Start(backlog);
                service._listeners.Add(listener);
                service._acceptLoops.Add(Task.Run(() => service.AcceptAsync(listener)));
            }
            return service;
        }
        catch
        {
            service.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            TcpConnection connection;
            try
            {
                connection = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Stats.Opened();
            // Listed before the handler starts: a handler that ends at once removes its own entry.
            _connections[connection] = Task.CompletedTask;
            var serving = ServeAsync(connection, token);
            _connections.TryUpdate(connection, serving, Task.CompletedTask);
        }
    }

    private async Task ServeAsync(TcpConnection connection, CancellationToken token)
    {
        try
        {
            await _handler(connection, Stats, token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsEnding(e, token))
        {
            // The peer reset or went away, or the service is stopping: the normal ends of a connection.
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            Stats.Error();
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            Stats.Closed();
            _connections.TryRemove(connection, out _);
        }
    }

    private static bool IsEnding(Exception e, CancellationToken token)
    {
        if (e is OperationCanceledException or ObjectDisposedException)
        {
            return true;
        }
        var socket = e as SocketException ?? e.InnerException as SocketException;
        return socket?.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.OperationAborted or SocketError.Shutdown
            || (token.IsCancellationRequested && socket is not null);
    }

    /// <summary>Stops listening and closes every open connection (waiting a few seconds at most for their handlers).</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        foreach (var l in _listeners)
        {
            l.Dispose();
        }
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(StopWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            foreach (var c in _connections.Keys)
            {
                c.Abort();
            }
        }
        _stop.Dispose();
    }
}
