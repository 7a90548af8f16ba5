namespace Netstack.Stack;

/// <summary>The life cycle of an address on a NIC (RFC 4862 section 2).</summary>
public enum AddressState
{
    /// <summary>Duplicate address detection is running; the address receives only DAD traffic.</summary>
    Tentative,
    /// <summary>Usable for sending and receiving.</summary>
    Assigned,
    /// <summary>Still valid for receiving, not chosen as a source for new traffic.</summary>
    Deprecated,
    /// <summary>Duplicate address detection found another node using it; it is not used.</summary>
    Duplicate,
}
