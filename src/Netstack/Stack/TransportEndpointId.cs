namespace Netstack.Stack;

/// <summary>
/// The key that demultiplexes transport traffic, from this host's point of view: local port and address,
/// remote port and address. A listener or an unconnected socket has remote port 0 and an empty remote
/// address; a wildcard bind has the unspecified local address of its family.
/// </summary>
public readonly record struct TransportEndpointId(ushort LocalPort, Address LocalAddress, ushort RemotePort, Address RemoteAddress)
{
    /// <inheritdoc/>
    public override string ToString() => $"{LocalAddress}:{LocalPort} <-> {RemoteAddress}:{RemotePort}";
}
