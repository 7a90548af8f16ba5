using Netstack.Stack.Neighbors;

namespace Netstack.Stack;

/// <summary>Options for a <see cref="NetworkStack"/>.</summary>
public sealed record StackOptions
{
    /// <summary>The clock for every timer (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Neighbour cache timing and limits, for ARP and NDP.</summary>
    public NeighborOptions Neighbors { get; init; } = new();

    /// <summary>TTL / hop limit of packets this host originates.</summary>
    public byte DefaultTtl { get; init; } = 64;

    /// <summary>
    /// Adding an address with a prefix also adds the on-link route for its subnet (as Linux does), and
    /// removing the address removes it. gVisor leaves routes to the user.
    /// </summary>
    public bool AddOnLinkRoutes { get; init; } = true;

    /// <summary>The network protocols to run; each factory is called once with the new stack.</summary>
    public IReadOnlyList<Func<NetworkStack, INetworkProtocol>> NetworkProtocols { get; init; } = StackDefaults.NetworkProtocols;

    /// <summary>The transport protocols to run; each factory is called once with the new stack.</summary>
    public IReadOnlyList<Func<NetworkStack, ITransportProtocol>> TransportProtocols { get; init; } = StackDefaults.TransportProtocols;

    /// <summary>Throws when an option is out of range, naming it.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(Neighbors, nameof(Neighbors));
        ArgumentNullException.ThrowIfNull(NetworkProtocols, nameof(NetworkProtocols));
        ArgumentNullException.ThrowIfNull(TransportProtocols, nameof(TransportProtocols));
        if (DefaultTtl == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultTtl), DefaultTtl, "DefaultTtl must be 1..255.");
        }
        Neighbors.Validate();
    }
}
