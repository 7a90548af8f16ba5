namespace Netstack.Stack;

/// <summary>A row of the route table (gVisor's <c>tcpip.Route</c>).</summary>
/// <param name="Destination">The destination prefix; /0 is a default route.</param>
/// <param name="Gateway">The next hop; empty (or unspecified) for an on-link route.</param>
/// <param name="NicId">The NIC to send through.</param>
/// <param name="Metric">Tie-breaker between equally long prefixes: lower wins.</param>
public readonly record struct RouteEntry(Subnet Destination, Address Gateway, int NicId, int Metric = 0)
{
    /// <summary>True when the destination is reached directly on the link.</summary>
    public bool IsOnLink => Gateway.IsEmpty || Gateway.IsUnspecified;

    /// <summary>An on-link route to <paramref name="destination"/> through <paramref name="nicId"/>.</summary>
    public static RouteEntry OnLink(Subnet destination, int nicId, int metric = 0) => new(destination, default, nicId, metric);

    /// <summary>A default route (0.0.0.0/0 or ::/0, by the gateway's family) via <paramref name="gateway"/>.</summary>
    public static RouteEntry Default(Address gateway, int nicId, int metric = 0) =>
        new(new Subnet(gateway.IsV4 ? Address.AnyV4 : Address.AnyV6, 0), gateway, nicId, metric);

    /// <inheritdoc/>
    public override string ToString() => IsOnLink
        ? $"{Destination} dev {NicId} metric {Metric}"
        : $"{Destination} via {Gateway} dev {NicId} metric {Metric}";
}
