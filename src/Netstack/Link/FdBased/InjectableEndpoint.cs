using Netstack.Buffers;
using Netstack.Interop;
using Netstack.Stack;

namespace Netstack.Link.FdBased;

/// <summary>
/// A write-only fd endpoint (gVisor's <c>InjectableEndpoint</c>): packets are sent on the fd, and nothing is
/// read from it; inbound packets come from <see cref="InjectInbound"/>. Injecting while detached drops the
/// packet and counts it.
/// </summary>
public sealed class InjectableEndpoint : ILinkEndpoint
{
    private readonly FdInfo _fd;
    private readonly PacketWriter _writer;
    private INetworkDispatcher? _dispatcher;
    private bool _disposed;

    /// <summary>Creates the endpoint over <paramref name="fd"/> (made non-blocking, not owned).</summary>
    /// <exception cref="ArgumentException">The fd or MTU is invalid.</exception>
    public InjectableEndpoint(int fd, int mtu, LinkCapabilities capabilities)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        if (mtu < 1 || mtu > FdBasedEndpointOptions.MaxMtu)
        {
            throw new ArgumentOutOfRangeException(nameof(mtu), mtu, $"The MTU must be 1..{FdBasedEndpointOptions.MaxMtu}.");
        }
        int flags = FileNative.SetNonBlocking(fd, true);
        if (flags < 0)
        {
            throw new ArgumentException($"File descriptor {fd} cannot be made non-blocking (errno {-flags}); is it open?", nameof(fd));
        }
        FileNative.GetFileMode(fd, out uint mode);
        bool isSocket = (mode & FileNative.S_IFMT) == FileNative.S_IFSOCK;
        _fd = new FdInfo(fd, isSocket, 0, false, flags) { VirtioHeader = capabilities.HasFlag(LinkCapabilities.HardwareGso) };
        Mtu = mtu;
        Capabilities = capabilities;
        Statistics = new LinkStatistics();
        _writer = new PacketWriter([_fd], ethernet: false, capabilities.HasFlag(LinkCapabilities.HardwareGso), default, Statistics, ChunkPool.Shared);
    }

    /// <inheritdoc/>
    public int Mtu { get; }

    /// <inheritdoc/>
    public int MaxHeaderLength => 0;

    /// <inheritdoc/>
    public LinkAddress LinkAddress => default;

    /// <inheritdoc/>
    public LinkCapabilities Capabilities { get; }

    /// <inheritdoc/>
    public ArpHardwareType ArpHardwareType => ArpHardwareType.None;

    /// <inheritdoc/>
    public int GsoMaxSize => 0;

    /// <inheritdoc/>
    public bool IsAttached => Volatile.Read(ref _dispatcher) is not null;

    /// <summary>Packet, byte, drop and error counters.</summary>
    public LinkStatistics Statistics { get; }

    /// <summary>Saves the dispatcher that injected packets go to (null detaches).</summary>
    public void Attach(INetworkDispatcher? dispatcher)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Volatile.Write(ref _dispatcher, dispatcher);
    }

    /// <summary>Nothing runs in the background: returns at once.</summary>
    public void Wait()
    {
    }

    /// <summary>
    /// Delivers <paramref name="packet"/> to the attached dispatcher as if it had been received; the caller keeps
    /// its reference. Returns false (and counts a drop) when no dispatcher is attached.
    /// </summary>
    public bool InjectInbound(ushort protocol, PacketBuffer packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var dispatcher = Volatile.Read(ref _dispatcher);
        if (dispatcher is null)
        {
            Statistics.AddDrop(DropReason.NotAttached);
            return false;
        }
        packet.NetworkProtocol = protocol;
        dispatcher.DeliverNetworkPacket(protocol, packet);
        Statistics.AddReceived(1, packet.Size);
        return true;
    }

    /// <summary>Writes an already-built network packet straight to the fd (the destination is not used by an fd link).</summary>
    public TcpipError InjectOutbound(Address destination, ReadOnlySpan<byte> packet)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _writer.WriteRaw(packet);
    }

    /// <inheritdoc/>
    public void AddHeader(PacketBuffer packet)
    {
    }

    /// <inheritdoc/>
    public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _writer.WritePackets(packets);
    }

    /// <summary>Detaches and restores the fd's flags; the fd stays open.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Volatile.Write(ref _dispatcher, null);
        _writer.Dispose();
        FileNative.Fcntl(_fd.Fd, FileNative.F_SETFL, _fd.OriginalFlags);
    }
}
