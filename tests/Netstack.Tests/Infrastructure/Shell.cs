using System.Diagnostics;

namespace Netstack.Tests.Infrastructure;

/// <summary>Runs a command line (through sh) and returns its exit code and output.</summary>
public static class Shell
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public Result EnsureSuccess(string what) => ExitCode == 0
            ? this
            : throw new InvalidOperationException($"{what} failed ({ExitCode}): {Error.Trim()} {Output.Trim()}");
    }

    public static Result Run(string command, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return new Result(-1, stdout.Result, "timed out: " + stderr.Result);
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Check(string command) => Run(command).EnsureSuccess(command);

    public static bool Which(string tool) => Run($"command -v {tool}").ExitCode == 0;
}
