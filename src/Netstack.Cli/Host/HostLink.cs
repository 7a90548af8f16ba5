using Netstack.Link.FdBased;

namespace Netstack.Cli.Host;

/// <summary>The fds a userspace host's link endpoint reads and writes, and how (a device or a socketpair end).</summary>
internal sealed record HostLink
{
    /// <summary>A name for messages and counters (the device name).</summary>
    public required string Name { get; init; }

    /// <summary>What the fds are, as the status line shows it: "TUN", "TAP", "AF_PACKET", "socketpair".</summary>
    public required string Description { get; init; }

    /// <summary>The fds (not owned by the host).</summary>
    public required IReadOnlyList<int> Fds { get; init; }

    /// <summary>Ethernet framing (TAP, AF_PACKET); raw IP otherwise.</summary>
    public bool Ethernet { get; init; }

    /// <summary>The MTU.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>The host's MAC with Ethernet framing.</summary>
    public LinkAddress Mac { get; init; }

    /// <summary>The fds carry a virtio-net header.</summary>
    public bool VirtioHeader { get; init; }

    /// <summary>Largest GSO packet for the kernel; 0 without GSO.</summary>
    public int GsoMaxSize { get; init; }

    /// <summary>The device's transmit queue (packets the kernel holds for the reader); 0 when not a TUN/TAP device.</summary>
    public int TxQueueLength { get; init; }

    /// <summary>The AF_PACKET sockets' receive buffer as the kernel reports it; 0 when not AF_PACKET.</summary>
    public int ReceiveBufferBytes { get; init; }

    /// <summary>How inbound packets are read.</summary>
    public PacketDispatchMode Dispatch { get; init; } = PacketDispatchMode.Readv;

    /// <summary>
    /// A point-to-point link (TUN, a raw-IP socketpair): every destination is reached through it, so a host
    /// without a gateway gets on-link default routes.
    /// </summary>
    public bool PointToPoint => !Ethernet;
}
