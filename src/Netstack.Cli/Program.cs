using System.CommandLine;
using Netstack.Cli.Commands;

namespace Netstack.Cli;

internal static class Program
{
    // An explicit list, not reflection: the CLI also builds ahead of time (Native AOT), which trims unused types.
    private static readonly ICliCommand[] Commands = [new CaptureCommand(), new DemoCommand(), new ReplayCommand(), new UpCommand()];

    private static int Main(string[] args)
    {
        var root = new RootCommand("netstack: a userspace TCP/IP stack for .NET on Linux.");
        foreach (var command in Commands)
        {
            root.Subcommands.Add(command.Create());
        }
        return root.Parse(args).Invoke();
    }
}
