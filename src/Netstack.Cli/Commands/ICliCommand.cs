using System.CommandLine;

namespace Netstack.Cli.Commands;

/// <summary>One <c>netstack</c> subcommand. Program finds every implementation by reflection (one file per command).</summary>
internal interface ICliCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    Command Create();
}
