namespace Netstack.Stack;

/// <summary>Options for <see cref="NetworkStack.CreateNic"/>.</summary>
public sealed record NicOptions
{
    /// <summary>A name for logs and counters; "nic{id}" when null.</summary>
    public string? Name { get; init; }

    /// <summary>Start disabled (enable later with <see cref="NetworkStack.EnableNic"/>).</summary>
    public bool Disabled { get; init; }
}
