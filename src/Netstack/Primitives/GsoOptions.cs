namespace Netstack;

/// <summary>The kind of segmentation offload requested for a packet.</summary>
public enum GsoType : byte
{
    /// <summary>No segmentation: the packet goes out as it is.</summary>
    None,
    /// <summary>The host (kernel, via the virtio-net header) segments a TCP/IPv4 packet.</summary>
    TcpV4,
    /// <summary>The host (kernel, via the virtio-net header) segments a TCP/IPv6 packet.</summary>
    TcpV6,
    /// <summary>The stack segments the packet itself before it reaches the link.</summary>
    Software,
}

/// <summary>
/// Generic segmentation offload parameters for one outbound packet (gVisor's <c>stack.GSO</c>). With host
/// GSO the link endpoint turns these into a virtio-net header for the kernel.
/// </summary>
public readonly record struct GsoOptions
{
    /// <summary>The segmentation to apply.</summary>
    public GsoType Type { get; init; }

    /// <summary>The transport checksum must be completed by whoever segments (partial checksum in place).</summary>
    public bool NeedsChecksum { get; init; }

    /// <summary>Offset of the checksum field from the start of the transport header.</summary>
    public ushort ChecksumOffset { get; init; }

    /// <summary>Maximum segment size (payload bytes per segment).</summary>
    public ushort Mss { get; init; }

    /// <summary>Length of the network header(s) in bytes.</summary>
    public ushort L3HeaderLength { get; init; }

    /// <summary>Largest packet the link accepts for segmentation.</summary>
    public int MaxSize { get; init; }
}
