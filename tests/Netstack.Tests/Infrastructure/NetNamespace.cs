using Netstack.Interop;

namespace Netstack.Tests.Infrastructure;

/// <summary>
/// A network namespace made for one test (unique name <c>nst-xxxxxxxx</c>) and always removed by
/// <see cref="Dispose"/>, with the devices inside it. Commands run inside it with <see cref="Run"/>; fds
/// (TUN/TAP, AF_PACKET sockets) are opened inside it from this process with <see cref="Enter{T}"/>, on a
/// dedicated thread that joins the namespace with setns(CLONE_NEWNET) and ends afterwards.
/// </summary>
public sealed class NetNamespace : IDisposable
{
    private bool _disposed;

    public NetNamespace()
    {
        Name = "nst-" + Convert.ToHexString(Guid.NewGuid().ToByteArray(), 0, 4).ToLowerInvariant();
        Shell.Check($"ip netns add {Name}");
        Shell.Check($"ip netns exec {Name} ip link set lo up");
    }

    public string Name { get; }

    /// <summary>Runs <paramref name="command"/> inside the namespace.</summary>
    public Shell.Result Run(string command, TimeSpan? timeout = null) =>
        Shell.Run($"ip netns exec {Name} {command}", timeout);

    /// <summary>Runs <paramref name="command"/> inside the namespace and throws when it fails.</summary>
    public Shell.Result Check(string command) => Run(command).EnsureSuccess(command);

    /// <summary>Runs <paramref name="action"/> on a thread inside the namespace (for opening fds there).</summary>
    public T Enter<T>(Func<T> action)
    {
        try
        {
            return NetworkNamespaceThread.Run(Name, action);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"In namespace {Name}: {e.Message}", e);
        }
    }

    /// <summary>The MAC address of <paramref name="device"/> in this namespace.</summary>
    public LinkAddress MacOf(string device) => LinkAddress.Parse(Check($"cat /sys/class/net/{device}/address").Output.Trim());

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Shell.Run($"ip netns del {Name}");
    }
}
