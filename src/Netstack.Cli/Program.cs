using System.CommandLine;
using Netstack.Cli.Commands;

namespace Netstack.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("netstack: a userspace TCP/IP stack for .NET on Linux.");
        // Every ICliCommand in this assembly is a subcommand: a new command is one new file in Commands/.
        var commands = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => ((ICliCommand)Activator.CreateInstance(t)!).Create())
            .OrderBy(c => c.Name, StringComparer.Ordinal);
        foreach (var command in commands)
        {
            root.Subcommands.Add(command);
        }
        return root.Parse(args).Invoke();
    }
}
