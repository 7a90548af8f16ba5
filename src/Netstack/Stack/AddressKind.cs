namespace Netstack.Stack;

/// <summary>How an address came to be on a NIC.</summary>
public enum AddressKind
{
    /// <summary>Added by the user.</summary>
    Static,
    /// <summary>An IPv6 link-local address generated from the link address (RFC 4862 section 5.3).</summary>
    LinkLocal,
    /// <summary>Configured from a router advertisement (SLAAC).</summary>
    Autoconfigured,
}
