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

    /// <summary>Starts <paramref name="kinds"/> on <paramref name="stack"/>; UDP echo answers on each of <paramref name="addresses"/>.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">A port is taken.</exception>
    /// <exception cref="InvalidOperationException">A service needs a transport the stack does not run.</exception>
    public static ServiceHost Start(NetworkStack stack, ServiceKind kinds, IReadOnlyList<Address> addresses, int backlog)
    {
        var host = new ServiceHost();
        try
        {
            if (kinds.HasFlag(ServiceKind.UdpEcho))
            {
                host.Add(UdpEchoService.Start(stack, addresses), s => s.Stats);
            }
            var tcp = kinds & (ServiceKind.Echo | ServiceKind.Discard | ServiceKind.Chargen);
            if (tcp != ServiceKind.None)
            {
                throw new InvalidOperationException($"--serve: {ServiceKinds.Describe(tcp)} need TCP, which this build of the stack does not have yet.");
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
