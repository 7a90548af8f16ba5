using Netstack.Stack;

namespace Netstack.Cli.Services;

/// <summary>The services a userspace host runs (<c>--serve</c>), started together and stopped together.</summary>
internal sealed class ServiceHost : IDisposable
{
    private readonly List<IAsyncDisposable> _services = [];
    private readonly List<ServiceStats> _stats = [];

    private ServiceHost()
    {
    }

    /// <summary>The counters of each running service, in <c>--serve</c> order.</summary>
    public IReadOnlyList<ServiceStats> Stats => _stats;

    /// <summary>Starts <paramref name="kinds"/> on <paramref name="stack"/> for the address families of <paramref name="addresses"/>.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">A port is taken.</exception>
    public static ServiceHost Start(NetworkStack stack, ServiceKind kinds, IReadOnlyList<Address> addresses, int backlog)
    {
        var host = new ServiceHost();
        try
        {
            if (kinds.HasFlag(ServiceKind.UdpEcho))
            {
                host.Add(UdpEchoService.Start(stack, addresses), s => s.Stats);
            }
            if (kinds.HasFlag(ServiceKind.Echo))
            {
                host.Add(TcpService.Start(stack, "echo", 7, addresses, backlog, TcpEchoHandler.HandleAsync), s => s.Stats);
            }
            if (kinds.HasFlag(ServiceKind.Discard))
            {
                host.Add(TcpService.Start(stack, "discard", 9, addresses, backlog, TcpDiscardHandler.HandleAsync), s => s.Stats);
            }
            if (kinds.HasFlag(ServiceKind.Chargen))
            {
                host.Add(TcpService.Start(stack, "chargen", 19, addresses, backlog, TcpChargenHandler.HandleAsync), s => s.Stats);
            }
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private void Add<T>(T service, Func<T, ServiceStats> stats)
        where T : IAsyncDisposable
    {
        _services.Add(service);
        _stats.Add(stats(service));
    }

    /// <summary>Stops every service (listeners close, open connections are closed).</summary>
    public void Dispose()
    {
        foreach (var s in _services)
        {
            s.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        _services.Clear();
    }
}
