namespace Netstack.Cli.Demo;

/// <summary>Finds programs the demo runs (ping, ip) on the PATH.</summary>
internal static class ProgramPath
{
    /// <summary>The full path of <paramref name="program"/> on the PATH (or the usual system directories), or null.</summary>
    public static string? Find(string program)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
        foreach (var dir in dirs)
        {
            string path = Path.Combine(dir, program);
            if (File.Exists(path))
            {
                return path;
            }
        }
        return null;
    }
}
