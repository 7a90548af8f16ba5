namespace Netstack;

/// <summary>
/// A transport address: an IP address, a port and, where it matters, the NIC (gVisor's
/// <c>tcpip.FullAddress</c>). The NIC plays the role of an IPv6 scope id: a link-local address names a host
/// only together with the link it is on. <see cref="NicId"/> 0 means "any NIC, as the route table says".
/// </summary>
/// <param name="Address">The IP address (empty or unspecified for "any").</param>
/// <param name="Port">The port (0 for "any" or "pick one").</param>
/// <param name="NicId">The NIC, or 0.</param>
public readonly record struct FullAddress(Address Address, ushort Port, int NicId = 0)
{
    /// <summary>"10.0.0.1:53", "[fd00::1]:53", "[fe80::1%2]:53" (with the NIC id as scope).</summary>
    public override string ToString()
    {
        if (Address.IsV6)
        {
            return NicId != 0 ? $"[{Address}%{NicId}]:{Port}" : $"[{Address}]:{Port}";
        }
        return $"{Address}:{Port}";
    }
}
