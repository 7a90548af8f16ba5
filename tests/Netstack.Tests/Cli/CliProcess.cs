using System.Diagnostics;
using System.Text;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Cli;

/// <summary>
/// The netstack CLI run as a child process, as users and the benchmark harness run it (inside a namespace
/// with <c>ip netns exec</c> when given one), its stderr and stdout collected line by line so a test can wait
/// for a line. <see cref="Dispose"/> kills it if it is still running.
/// </summary>
public sealed class CliProcess : IDisposable
{
    public static readonly string CliDll = Path.Combine(AppContext.BaseDirectory, "Netstack.Cli.dll");

    /// <summary>
    /// The command that runs the CLI: <c>NETSTACK_CLI</c> when set (scripts/test.sh sets the repository's
    /// <c>netstack</c> script, so the tests run the native build users run), else <c>dotnet Netstack.Cli.dll</c>.
    /// </summary>
    public static readonly string CliCommand = Environment.GetEnvironmentVariable("NETSTACK_CLI") is { Length: > 0 } cli ? cli : $"dotnet {CliDll}";

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stdout = new();
    private readonly Lock _gate = new();

    private CliProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) => Add(e.Data, stdout: false);
        _process.OutputDataReceived += (_, e) => Add(e.Data, stdout: true);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public int Pid => _process.Id;

    /// <summary>Starts <see cref="CliCommand"/> ARGS, in <paramref name="ns"/> if given, as <paramref name="user"/> if given (via setpriv, no capabilities).</summary>
    public static CliProcess Start(string arguments, NetNamespace? ns = null, string? user = null, IDictionary<string, string>? environment = null)
    {
        // SIGINT back to its default: a test run started in the background of a non-interactive shell ignores
        // it, children inherit that, and the runtime keeps an inherited SIG_IGN (as shells want for background jobs).
        string command = $"env --default-signal=INT {CliCommand} {arguments}";
        if (user is not null)
        {
            command = $"setpriv --reuid={user} --regid={user} --clear-groups --inh-caps=-all --bounding-set=-all {command}";
        }
        if (ns is not null)
        {
            command = $"ip netns exec {ns.Name} {command}";
        }
        var parts = command.Split(' ', 2);
        var psi = new ProcessStartInfo(parts[0], parts[1])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        return new CliProcess(Process.Start(psi)!);
    }

    /// <summary>Runs the CLI to completion (at most <paramref name="timeout"/>) and returns its exit code and all output.</summary>
    public static (int ExitCode, string Output) Run(string arguments, TimeSpan timeout, NetNamespace? ns = null, string? user = null, IDictionary<string, string>? environment = null)
    {
        using var cli = Start(arguments, ns, user, environment);
        Assert.True(cli.WaitForExit(timeout), $"netstack {arguments} did not finish within {timeout}:\n{cli.Output}");
        return (cli.ExitCode, cli.Output);
    }

    /// <summary>Every line so far, stderr and stdout interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>Stdout alone.</summary>
    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    public bool HasExited => _process.HasExited;

    /// <summary>Waits until a line contains <paramref name="text"/>; fails the test with the output so far when it does not come.</summary>
    public void WaitForLine(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            lock (_gate)
            {
                if (_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
                {
                    return;
                }
            }
            if (_process.HasExited)
            {
                _process.WaitForExit();
                lock (_gate)
                {
                    if (_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
                    {
                        return;
                    }
                }
                Assert.Fail($"the CLI exited ({_process.ExitCode}) before printing '{text}':\n{Output}");
            }
            Thread.Sleep(20);
        }
        Assert.Fail($"no line with '{text}' within the timeout:\n{Output}");
    }

    /// <summary>Sends a signal (TERM, INT...) to the CLI.</summary>
    public void Signal(string name) => Shell.Check($"kill -{name} {_process.Id}");

    /// <summary>Waits for the process to end and its output to be read.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }
        _process.WaitForExit();
        return true;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private void Add(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            _lines.Add(line);
            if (stdout)
            {
                _stdout.AppendLine(line);
            }
        }
    }
}
