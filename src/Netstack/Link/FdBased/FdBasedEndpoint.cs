using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Interop;
using Netstack.Stack;

namespace Netstack.Link.FdBased;

/// <summary>
/// A link endpoint over boundary-preserving file descriptors: TUN/TAP devices, AF_PACKET sockets, socketpairs
/// (gVisor's <c>fdbased</c> endpoint). Each fd is one channel: a dedicated reader thread receives from it while
/// a dispatcher is attached, and <see cref="WritePackets"/> sends on the fd picked by the packet's hash.
/// </summary>
/// <remarks>
/// The endpoint makes the fds non-blocking and joins AF_PACKET sockets to a fanout group of its own; it does
/// not close them (the caller does, after <see cref="Dispose"/>), and restores their original flags on dispose.
/// </remarks>
public sealed class FdBasedEndpoint : ILinkEndpoint
{
    /// <summary>How long a detach or dispose waits for each reader thread to end.</summary>
    public static readonly TimeSpan ReaderStopTimeout = TimeSpan.FromSeconds(5);

    private readonly FdBasedEndpointOptions _options;
    private readonly FdInfo[] _fds;
    private readonly PacketRing?[] _rings;
    private readonly bool[] _closedReported;
    private readonly PacketWriter _writer;
    private readonly LinkMetrics _metrics;
    private readonly ChunkPool _pool;
    private readonly object _gate = new();
    private readonly List<FdReader> _readers = [];
    private INetworkDispatcher? _dispatcher;
    private StopSignal? _stop;
    private bool _disposed;

    /// <summary>Creates the endpoint; nothing is read until <see cref="Attach"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or an fd cannot be used as asked (the message says which and why).</exception>
    public FdBasedEndpoint(FdBasedEndpointOptions options)
        : this(options, ChunkPool.Shared)
    {
    }

    internal FdBasedEndpoint(FdBasedEndpointOptions options, ChunkPool pool)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _pool = pool;
        var fds = new List<FdInfo>(options.Fds.Count);
        _rings = new PacketRing?[options.Fds.Count];
        try
        {
            foreach (int fd in options.Fds)
            {
                fds.Add(Inspect(fd));
            }
            Capabilities = CapabilitiesFor(options, fds.Any(f => f.IsSocket || f.IsVirtioTun), out int gsoMaxSize);
            GsoMaxSize = gsoMaxSize;
            bool hostGso = Capabilities.HasFlag(LinkCapabilities.HardwareGso);
            for (int i = 0; i < fds.Count; i++)
            {
                fds[i] = fds[i] with { VirtioHeader = fds[i].IsVirtioTun || (fds[i].IsSocket && hostGso) };
            }
            var packetFds = fds.Where(f => f.IsPacketSocket).Select(f => f.Fd).ToList();
            if (packetFds.Count > 0)
            {
                int errno = FanoutGroup.Join(packetFds, options.ForceFanoutIdFallback, out int groupId);
                if (errno != 0)
                {
                    throw new ArgumentException($"Joining the AF_PACKET fds to a PACKET_FANOUT_HASH group failed: errno {errno}.", nameof(options.Fds));
                }
                FanoutGroupId = groupId;
            }
            if (options.PacketDispatchMode == PacketDispatchMode.PacketMmap)
            {
                for (int i = 0; i < fds.Count; i++)
                {
                    _rings[i] = CreateRing(fds[i], options.RingFrameSize != 0 ? options.RingFrameSize : PacketRing.FrameSizeFor(options.Mtu));
                }
            }
        }
        catch
        {
            foreach (var ring in _rings)
            {
                ring?.Release();
            }
            foreach (var f in fds)
            {
                FileNative.Fcntl(f.Fd, FileNative.F_SETFL, f.OriginalFlags);
            }
            throw;
        }
        _fds = [.. fds];
        _closedReported = new bool[_fds.Length];
        Statistics = new LinkStatistics();
        _writer = new PacketWriter(_fds, options.EthernetHeader, Capabilities.HasFlag(LinkCapabilities.HardwareGso), options.Address, Statistics, pool);
        Name = options.Name ?? $"fd{_fds[0].Fd}";
        _metrics = new LinkMetrics(Statistics, Name);
    }

    /// <summary>The endpoint's name (logs, metrics tag).</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public int Mtu => _options.Mtu;

    /// <inheritdoc/>
    public int MaxHeaderLength => _writer.LinkHeaderLength;

    /// <inheritdoc/>
    public LinkAddress LinkAddress => _options.Address;

    /// <inheritdoc/>
    public LinkCapabilities Capabilities { get; }

    /// <inheritdoc/>
    public ArpHardwareType ArpHardwareType => _options.EthernetHeader ? ArpHardwareType.Ether : ArpHardwareType.None;

    /// <inheritdoc/>
    public int GsoMaxSize { get; }

    /// <inheritdoc/>
    public bool IsAttached => Volatile.Read(ref _dispatcher) is not null;

    /// <summary>The dispatch mode asked for (non-socket fds always read with readv).</summary>
    public PacketDispatchMode PacketDispatchMode => _options.PacketDispatchMode;

    /// <summary>The PACKET_FANOUT group id of the AF_PACKET fds, or -1 when there are none.</summary>
    public int FanoutGroupId { get; } = -1;

    /// <summary>Packet, byte, drop and error counters.</summary>
    public LinkStatistics Statistics { get; }

    /// <summary>Reader threads currently running.</summary>
    public int RunningReaders
    {
        get
        {
            lock (_gate)
            {
                return _readers.Count;
            }
        }
    }

    internal PacketRing? RingOf(int index) => _rings[index];

    /// <inheritdoc/>
    public void Attach(INetworkDispatcher? dispatcher)
    {
        List<FdReader> stopped;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (ReferenceEquals(dispatcher, _dispatcher))
            {
                return;
            }
            stopped = StopReadersLocked();
            Volatile.Write(ref _dispatcher, dispatcher);
        }
        JoinAll(stopped);
        if (dispatcher is null)
        {
            return;
        }
        lock (_gate)
        {
            if (!_disposed && ReferenceEquals(_dispatcher, dispatcher) && _stop is null)
            {
                StartReadersLocked(dispatcher);
            }
        }
    }

    /// <inheritdoc/>
    public void Wait()
    {
        bool onReader = FdReader.Current is { } r && IsOurs(r);
        lock (_gate)
        {
            while (_readers.Count > (onReader ? 1 : 0))
            {
                Monitor.Wait(_gate);
            }
        }
    }

    /// <inheritdoc/>
    public void AddHeader(PacketBuffer packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        _writer.AddHeader(packet);
    }

    /// <inheritdoc/>
    public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _writer.WritePackets(packets);
    }

    /// <summary>Stops the readers, frees every buffer, eventfd and ring, and restores the fds' flags. The fds stay open.</summary>
    public void Dispose()
    {
        List<FdReader> stopped;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            stopped = StopReadersLocked();
            Volatile.Write(ref _dispatcher, null);
        }
        bool allStopped = JoinAll(stopped);
        foreach (var ring in _rings)
        {
            ring?.Release();
        }
        _writer.Dispose();
        _metrics.Dispose();
        if (allStopped)
        {
            foreach (var f in _fds)
            {
                FileNative.Fcntl(f.Fd, FileNative.F_SETFL, f.OriginalFlags);
            }
        }
    }

    private static FdInfo Inspect(int fd)
    {
        int flags = FileNative.SetNonBlocking(fd, true);
        if (flags < 0)
        {
            throw new ArgumentException($"File descriptor {fd} cannot be made non-blocking (errno {-flags}); is it open?", "Fds");
        }
        try
        {
            int errno = FileNative.GetFileMode(fd, out uint mode);
            if (errno != 0)
            {
                throw new ArgumentException($"fstat of fd {fd} failed: errno {errno}.", "Fds");
            }
            bool isSocket = (mode & FileNative.S_IFMT) == FileNative.S_IFSOCK;
            int type = 0;
            bool isPacket = false;
            if (isSocket)
            {
                SocketNative.GetInt(fd, SocketNative.SOL_SOCKET, SocketNative.SO_TYPE, out type);
                errno = SocketNative.GetFamily(fd, out int family);
                if (errno != 0)
                {
                    throw new ArgumentException($"getsockname of fd {fd} failed: errno {errno}.", "Fds");
                }
                isPacket = family == SocketNative.AF_PACKET;
            }
            return new FdInfo(fd, isSocket, type, isPacket, flags) { IsVirtioTun = !isSocket && IsVirtioTun(fd) };
        }
        catch
        {
            FileNative.Fcntl(fd, FileNative.F_SETFL, flags);
            throw;
        }
    }

    // TUNGETIFF answers only on a TUN/TAP fd; its flags say whether IFF_VNET_HDR is on.
    private static unsafe bool IsVirtioTun(int fd)
    {
        var request = default(IfReq);
        return FileNative.Ioctl(fd, InterfaceNative.TUNGETIFF, &request) == 0 && (request.Flags & InterfaceNative.IFF_VNET_HDR) != 0;
    }

    private static LinkCapabilities CapabilitiesFor(FdBasedEndpointOptions options, bool anySocket, out int gsoMaxSize)
    {
        var caps = LinkCapabilities.None;
        caps |= options.RxChecksumOffload ? LinkCapabilities.RxChecksumOffload : 0;
        caps |= options.TxChecksumOffload ? LinkCapabilities.TxChecksumOffload : 0;
        caps |= options.EthernetHeader ? LinkCapabilities.ResolutionRequired : 0;
        caps |= options.SaveRestore ? LinkCapabilities.SaveRestore : 0;
        caps |= options.DisconnectOk ? LinkCapabilities.DisconnectOk : 0;
        gsoMaxSize = 0;
        // As in gVisor, GSO needs sockets (AF_PACKET with PACKET_VNET_HDR, or a test socketpair); ours also
        // accepts a TUN/TAP opened with IFF_VNET_HDR.
        if (anySocket && options.GsoMaxSize != 0)
        {
            caps |= options.SoftwareGsoEnabled ? LinkCapabilities.SoftwareGso : LinkCapabilities.HardwareGso;
            gsoMaxSize = options.GsoMaxSize;
        }
        return caps;
    }

    private static PacketRing CreateRing(FdInfo fd, int frameSize)
    {
        if (!fd.IsPacketSocket)
        {
            throw new ArgumentException(
                $"PacketDispatchMode.PacketMmap needs AF_PACKET sockets; fd {fd.Fd} is {(fd.IsSocket ? "another kind of socket" : "not a socket")}. Use Readv or RecvMmsg.",
                "PacketDispatchMode");
        }
        int errno = PacketRing.Create(fd.Fd, frameSize, out var ring);
        if (errno != 0)
        {
            throw new ArgumentException($"Setting up the PACKET_RX_RING on fd {fd.Fd} failed: errno {errno}.", "PacketDispatchMode");
        }
        return ring!;
    }

    private bool IsOurs(FdReader reader)
    {
        lock (_gate)
        {
            return _readers.Contains(reader);
        }
    }

    private void StartReadersLocked(INetworkDispatcher dispatcher)
    {
        var stop = StopSignal.Create();
        _stop = stop;
        for (int i = 0; i < _fds.Length; i++)
        {
            if (_closedReported[i])
            {
                continue;
            }
            var fd = _fds[i];
            var processor = new InboundProcessor(dispatcher, Statistics, _options.EthernetHeader, fd.VirtioHeader && _rings[i] is null, _options.Address);
            IInboundDispatcher inbound = _rings[i] is { } ring
                ? new PacketMmapDispatcher(ring, processor, Statistics, _pool, fd.VirtioHeader)
                : fd.IsSocket && _options.PacketDispatchMode == PacketDispatchMode.RecvMmsg
                    ? new RecvMmsgDispatcher(fd, processor, _pool)
                    : new ReadvDispatcher(fd, processor, _pool);
            var reader = new FdReader(i, fd, inbound, processor, stop, Statistics, OnReaderExited);
            _readers.Add(reader);
            reader.Start();
        }
    }

    private List<FdReader> StopReadersLocked()
    {
        var stopped = new List<FdReader>(_readers);
        if (_stop is { } stop)
        {
            stop.Set();
            stop.Release();
            _stop = null;
        }
        return stopped;
    }

    private bool JoinAll(List<FdReader> readers)
    {
        bool all = true;
        foreach (var reader in readers)
        {
            if (!reader.Join(ReaderStopTimeout))
            {
                Statistics.AddReaderStopTimeout();
                all = false;
            }
        }
        return all;
    }

    private void OnReaderExited(FdReader reader, TcpipError? closed)
    {
        if (closed is { } error)
        {
            bool report;
            lock (_gate)
            {
                report = !_closedReported[reader.Index];
                _closedReported[reader.Index] = true;
            }
            if (report)
            {
                try
                {
                    _options.ClosedCallback?.Invoke(error);
                }
                catch (Exception)
                {
                    // The callback runs on the reader thread; an exception there must not end the process.
                }
            }
        }
        lock (_gate)
        {
            _readers.Remove(reader);
            Monitor.PulseAll(_gate);
        }
    }
}
