using Netstack.Buffers;

namespace Netstack.Stack;

/// <summary>
/// A data-link endpoint: moves packets between the stack and a medium (gVisor's <c>stack.LinkEndpoint</c>).
/// </summary>
public interface ILinkEndpoint : IDisposable
{
    /// <summary>Largest network-layer packet the link carries, in bytes.</summary>
    int Mtu { get; }

    /// <summary>Bytes the link may prepend (link header, virtio-net header): headroom to reserve.</summary>
    int MaxHeaderLength { get; }

    /// <summary>This endpoint's link address (empty on links without one).</summary>
    LinkAddress LinkAddress { get; }

    /// <summary>What the link can do.</summary>
    LinkCapabilities Capabilities { get; }

    /// <summary>The ARP hardware type of the link.</summary>
    ArpHardwareType ArpHardwareType { get; }

    /// <summary>Largest packet accepted for segmentation offload, or 0 without GSO.</summary>
    int GsoMaxSize { get; }

    /// <summary>True while a dispatcher is attached.</summary>
    bool IsAttached { get; }

    /// <summary>
    /// Attaches <paramref name="dispatcher"/> and starts delivering inbound packets to it; null detaches,
    /// stops delivery and returns when no more deliveries are in progress (bounded wait).
    /// </summary>
    void Attach(INetworkDispatcher? dispatcher);

    /// <summary>Blocks until the endpoint has stopped delivering packets.</summary>
    void Wait();

    /// <summary>Adds the link header to an outbound packet (uses its local/remote link addresses and protocol).</summary>
    void AddHeader(PacketBuffer packet);

    /// <summary>
    /// Writes a batch of network-layer packets (each with <see cref="PacketBuffer.NetworkProtocol"/>, link
    /// addresses, hash and GSO options set). The caller keeps ownership of the packets. Returns how many
    /// were written and the error for the first that was not.
    /// </summary>
    WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets);
}
