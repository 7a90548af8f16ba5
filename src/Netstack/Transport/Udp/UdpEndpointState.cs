namespace Netstack.Transport.Udp;

/// <summary>Where a <see cref="UdpEndpoint"/> is in its life.</summary>
public enum UdpEndpointState
{
    /// <summary>Created; no port yet.</summary>
    Initial,
    /// <summary>Has a local port (bound explicitly, or on first send); receives from anyone.</summary>
    Bound,
    /// <summary>Has a default peer; receives only from it.</summary>
    Connected,
    /// <summary>Closed; every operation fails.</summary>
    Closed,
}
