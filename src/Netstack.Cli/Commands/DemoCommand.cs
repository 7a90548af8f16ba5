using System.CommandLine;
using Netstack.Cli.Demo;

namespace Netstack.Cli.Commands;

/// <summary>
/// <c>netstack demo</c>: the README's main job in one command. As root, a userspace host on a TUN device in a
/// namespace of its own, driven by the kernel's ping and sockets; without privileges, the same traffic between
/// two userspace hosts joined by a socketpair.
/// </summary>
internal sealed class DemoCommand : ICliCommand
{
    public Command Create()
    {
        var userspace = new Option<bool>("--userspace")
        {
            Description = $"Run between two userspace hosts joined by a socketpair even with privileges (also when {DemoRunner.UserspaceVariable}=1).",
        };
        var command = new Command("demo", "Bring up a userspace host on a TUN device in a new network namespace and drive it with the kernel's own ping, ping -6 and sockets, then remove everything (as root; otherwise two userspace hosts over a socketpair).")
        {
            userspace,
        };
        command.SetAction(parse => DemoRunner.Run(parse.GetValue(userspace) || Environment.GetEnvironmentVariable(DemoRunner.UserspaceVariable) == "1"));
        return command;
    }
}
