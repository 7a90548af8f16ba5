namespace Netstack.Link.FdBased;

/// <summary>What an <see cref="FdBasedEndpoint"/> is built from (gVisor's <c>fdbased.Options</c>).</summary>
public sealed record FdBasedEndpointOptions
{
    /// <summary>Largest MTU accepted.</summary>
    public const int MaxMtu = 65535;

    /// <summary>Largest <see cref="GsoMaxSize"/> accepted.</summary>
    public const int MaxGsoSize = 65536;

    /// <summary>
    /// The file descriptors (at least one), each an inbound and outbound channel. The endpoint makes them
    /// non-blocking but does not own them: they stay open until the endpoint is disposed, and the caller closes them.
    /// </summary>
    public IReadOnlyList<int> Fds { get; init; } = [];

    /// <summary>The MTU reported to the stack, 1 to <see cref="MaxMtu"/>.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>Frames carry an Ethernet header (TAP, AF_PACKET); otherwise raw IP (TUN).</summary>
    public bool EthernetHeader { get; init; }

    /// <summary>Called once per fd, on that fd's reader thread, when its peer closes or it fails; the argument says why.</summary>
    public Action<TcpipError>? ClosedCallback { get; init; }

    /// <summary>This endpoint's MAC: the source of sent frames, and the only unicast destination accepted. Must be unicast.</summary>
    public LinkAddress Address { get; init; }

    /// <summary>Report <see cref="Stack.LinkCapabilities.SaveRestore"/>.</summary>
    public bool SaveRestore { get; init; }

    /// <summary>Report <see cref="Stack.LinkCapabilities.DisconnectOk"/>.</summary>
    public bool DisconnectOk { get; init; }

    /// <summary>Largest GSO packet, 0 (no GSO) to <see cref="MaxGsoSize"/>. Only applies when the fds are sockets.</summary>
    public int GsoMaxSize { get; init; }

    /// <summary>With <see cref="GsoMaxSize"/> set: the stack segments (software GSO) instead of the host (virtio-net header).</summary>
    public bool SoftwareGsoEnabled { get; init; }

    /// <summary>How inbound packets are read.</summary>
    public PacketDispatchMode PacketDispatchMode { get; init; } = PacketDispatchMode.Readv;

    /// <summary>Report <see cref="Stack.LinkCapabilities.TxChecksumOffload"/>.</summary>
    public bool TxChecksumOffload { get; init; }

    /// <summary>Report <see cref="Stack.LinkCapabilities.RxChecksumOffload"/>.</summary>
    public bool RxChecksumOffload { get; init; }

    /// <summary>A name for logs and the metrics tag; defaults to "fd" and the first fd.</summary>
    public string? Name { get; init; }

    /// <summary>Bytes per PACKET_MMAP ring frame; 0 sizes it from <see cref="Mtu"/> (tests shrink it to provoke truncation).</summary>
    internal int RingFrameSize { get; init; }

    /// <summary>Forces the fanout-id fallback used on kernels without PACKET_FANOUT_FLAG_UNIQUEID (tests).</summary>
    internal bool ForceFanoutIdFallback { get; init; }

    /// <summary>Throws when an option is out of range, naming it and what is allowed.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (Fds is null || Fds.Count == 0)
        {
            throw new ArgumentException("At least one file descriptor is required.", nameof(Fds));
        }
        var seen = new HashSet<int>();
        foreach (int fd in Fds)
        {
            if (fd < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(Fds), fd, "A file descriptor is 0 or more.");
            }
            if (!seen.Add(fd))
            {
                throw new ArgumentException($"File descriptor {fd} is listed twice; each fd is one channel.", nameof(Fds));
            }
        }
        if (Mtu < 1 || Mtu > MaxMtu)
        {
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu, $"The MTU must be 1..{MaxMtu}.");
        }
        if (GsoMaxSize < 0 || GsoMaxSize > MaxGsoSize)
        {
            throw new ArgumentOutOfRangeException(nameof(GsoMaxSize), GsoMaxSize, $"GsoMaxSize must be 0 (no GSO)..{MaxGsoSize}.");
        }
        if (!Enum.IsDefined(PacketDispatchMode))
        {
            throw new ArgumentOutOfRangeException(nameof(PacketDispatchMode), PacketDispatchMode,
                $"PacketDispatchMode must be one of {string.Join(", ", Enum.GetNames<PacketDispatchMode>())}.");
        }
        if (Address.IsGroup)
        {
            throw new ArgumentException($"Address must be a unicast MAC; {Address} has the group bit set.", nameof(Address));
        }
        if (RingFrameSize != 0 && (RingFrameSize < PacketRing.MinFrameSize || RingFrameSize > PacketRing.MaxFrameSize || RingFrameSize % PacketRing.FrameAlignment != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(RingFrameSize), RingFrameSize,
                $"RingFrameSize must be at least {PacketRing.MinFrameSize} and a multiple of {PacketRing.FrameAlignment}.");
        }
    }
}
