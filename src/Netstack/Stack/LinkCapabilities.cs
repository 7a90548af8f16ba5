namespace Netstack.Stack;

/// <summary>What a link endpoint can do (gVisor's <c>stack.LinkEndpointCapabilities</c>).</summary>
[Flags]
public enum LinkCapabilities
{
    /// <summary>Nothing special.</summary>
    None = 0,
    /// <summary>The link verifies transport checksums on receive; the stack may skip them.</summary>
    RxChecksumOffload = 1 << 0,
    /// <summary>The link fills transport checksums on send; the stack may leave them partial.</summary>
    TxChecksumOffload = 1 << 1,
    /// <summary>The link needs neighbour resolution (ARP/NDP) for a destination link address.</summary>
    ResolutionRequired = 1 << 2,
    /// <summary>The endpoint supports save/restore.</summary>
    SaveRestore = 1 << 3,
    /// <summary>Losing the link is not an error.</summary>
    DisconnectOk = 1 << 4,
    /// <summary>The link loops packets back to this host.</summary>
    Loopback = 1 << 5,
    /// <summary>The host (kernel) segments large packets, via the virtio-net header.</summary>
    HardwareGso = 1 << 6,
    /// <summary>The stack segments large packets itself before the link sees them.</summary>
    SoftwareGso = 1 << 7,
}
