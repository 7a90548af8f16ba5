using System.Diagnostics;
using Netstack.Cli.Host;
using Netstack.Interop;

namespace Netstack.Cli.Demo;

/// <summary>
/// A network namespace the demo creates with iproute2 (<c>ip netns add</c>) and always deletes: named
/// <c>netstack-demo-PID</c>, so a namespace left behind by a killed demo is recognised and removed by the next one.
/// Commands run inside it with <c>ip netns exec</c>; fds and kernel sockets are opened inside it from this
/// process by <see cref="Enter{T}"/>, on a thread that joins it with setns.
/// </summary>
internal sealed class KernelNamespace : IDisposable
{
    private const string NamePrefix = "netstack-demo-";
    private bool _deleted;

    private KernelNamespace(string name) => Name = name;

    /// <summary>The namespace's name.</summary>
    public string Name { get; }

    /// <summary>Removes namespaces of earlier demos whose process is gone, then creates a fresh one with lo up.</summary>
    /// <exception cref="InvalidOperationException">iproute2 failed (its message is included).</exception>
    public static KernelNamespace Create()
    {
        RemoveStale();
        var ns = new KernelNamespace(NamePrefix + Environment.ProcessId);
        Run("ip", $"netns del {ns.Name}", check: false);
        Run("ip", $"netns add {ns.Name}");
        try
        {
            ns.Ip("link set lo up");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Runs <c>ip -n NAME ARGS</c>; throws when it fails.</summary>
    public void Ip(string arguments) => Run("ip", $"-n {Name} {arguments}");

    /// <summary>Starts <paramref name="program"/> inside the namespace with its output redirected.</summary>
    public Process Start(string program, string arguments)
    {
        var psi = new ProcessStartInfo("ip", $"netns exec {Name} {program} {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
    }

    /// <summary>Runs <paramref name="action"/> on a new thread inside the namespace (opening fds and sockets there).</summary>
    public T Enter<T>(Func<T> action)
    {
        try
        {
            return NetworkNamespaceThread.Run(Name, action);
        }
        catch (Exception e) when (e is not DeviceException)
        {
            throw new InvalidOperationException($"in namespace {Name}: {e.Message}", e);
        }
    }

    /// <summary>Deletes the namespace (its devices go with it).</summary>
    public void Dispose()
    {
        if (!_deleted)
        {
            _deleted = true;
            Run("ip", $"netns del {Name}", check: false);
        }
    }

    private static void RemoveStale()
    {
        if (!Directory.Exists("/var/run/netns"))
        {
            return;
        }
        foreach (var path in Directory.GetFiles("/var/run/netns", NamePrefix + "*"))
        {
            string name = Path.GetFileName(path);
            if (int.TryParse(name.AsSpan(NamePrefix.Length), out int pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                Run("ip", $"netns del {name}", check: false);
            }
        }
    }

    private static void Run(string program, string arguments, bool check = true)
    {
        var psi = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
        string error = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (check && p.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{program} {arguments}' failed: {error.Trim()}");
        }
    }
}
