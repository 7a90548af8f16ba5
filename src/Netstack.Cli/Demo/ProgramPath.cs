namespace Netstack.Cli.Demo;

/// <summary>Finds programs the demo runs (ping, ip) on the PATH, as the shell would.</summary>
internal static class ProgramPath
{
    /// <summary>The full path of <paramref name="program"/> on the PATH, or null.</summary>
    public static string? Find(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
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
