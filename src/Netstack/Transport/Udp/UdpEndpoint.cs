using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Transport.Udp;

/// <summary>
/// A UDP socket inside the stack (gVisor's <c>udp.endpoint</c>): bind, connect, send, and a bounded queue of
/// received datagrams. Errors are <see cref="TcpipError"/> values; misuse of an option throws.
/// <see cref="Netstack.Sockets.UdpSocket"/> is the .NET-shaped API over it.
/// </summary>
/// <remarks>
/// <para>Receive: a datagram is validated (<see cref="UdpProtocol"/>), then handed straight to a waiting
/// reader or queued as a reference to the chunks it arrived in; bytes are copied only when the application
/// reads. The queue is bounded by <see cref="ReceiveBufferSize"/>, charged like Linux charges
/// <c>sk_rmem_alloc</c>: each datagram costs the buffer memory it holds (its chunks), not just its payload,
/// and a datagram is accepted while the queue is below the limit, so one datagram always fits.</para>
/// <para>Send: the route is cached (for the connected peer, and for the last destination of an unconnected
/// endpoint) and revalidated cheaply per datagram; the header goes into the packet's headroom; the checksum
/// is computed unless the link completes it.</para>
/// <para>Thread safety: every method may be called from any thread. Received datagrams are handled on the
/// stack's receive threads; a waiting reader is completed there.</para>
/// </remarks>
public sealed class UdpEndpoint : ITransportEndpoint, IDisposable
{
    /// <summary>Default receive buffer: Linux's <c>net.core.rmem_default</c> (212,992 bytes).</summary>
    public const int DefaultReceiveBufferSize = 212_992;

    private const byte Protocol = TransportProtocolNumber.Udp;
    private const int IPv4HeaderLength = 20;
    private const int IPv6HeaderLength = 40;

    private readonly UdpProtocol _protocol;
    private readonly NetworkStack _stack;
    private readonly int _addressLength;

    // Binding, connection, options and route caches; never held while calling into the network layer's send
    // path or into a waiter.
    private readonly Lock _gate = new();
    private volatile UdpEndpointState _state;
    private TransportEndpointId _registeredId;
    private bool _registered;
    private Address _bindAddress;
    private bool _sourceBound;
    private bool _portBound;
    private ushort _port;
    private Address _reservedAddress;
    private bool _portReserved;
    private volatile int _bindNicId;
    private volatile Peer? _peer;
    private CachedRoute? _connectedRoute;
    private CachedRoute? _lastRoute;
    private readonly List<(Address Group, int NicId)> _groups = new();

    private readonly UdpReceiveQueue _received = new();

    private volatile int _receiveBufferSize = DefaultReceiveBufferSize;
    private volatile bool _broadcast;
    private volatile bool _reuseAddress;
    private volatile bool _dontFragment;
    private volatile int _multicastNicId;
    private byte _ttl;
    private byte _multicastTtl = 1;
    private byte _typeOfService;

    internal UdpEndpoint(UdpProtocol protocol, ushort networkProtocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        _addressLength = networkProtocol switch
        {
            NetworkProtocolNumber.IPv4 => 4,
            NetworkProtocolNumber.IPv6 => 16,
            _ => throw new ArgumentOutOfRangeException(nameof(networkProtocol), networkProtocol,
                "The network protocol must be IPv4 (0x0800) or IPv6 (0x86DD)."),
        };
        _protocol = protocol;
        _stack = protocol.Stack;
        NetworkProtocol = networkProtocol;
        _bindAddress = AnyAddress;
    }

    /// <summary>IPv4 or IPv6 (EtherType).</summary>
    public ushort NetworkProtocol { get; }

    /// <summary>The stack the endpoint belongs to.</summary>
    public NetworkStack Stack => _stack;

    /// <summary>Where the endpoint is in its life.</summary>
    public UdpEndpointState State => _state;

    /// <summary>
    /// The local address and port (getsockname): unspecified address and port 0 before a bind; the source
    /// address chosen for the peer once connected; the bound NIC, if any.
    /// </summary>
    public FullAddress LocalAddress
    {
        get
        {
            lock (_gate)
            {
                var address = _state == UdpEndpointState.Connected ? _registeredId.LocalAddress : _bindAddress;
                return new FullAddress(address, _port, _bindNicId);
            }
        }
    }

    /// <summary>The connected peer (getpeername), or the default value when not connected.</summary>
    public FullAddress RemoteAddress => _peer?.Address ?? default;

    /// <summary>
    /// Receive buffer size in bytes (SO_RCVBUF), default <see cref="DefaultReceiveBufferSize"/>; datagrams
    /// arriving while the queue is at or above it are dropped and counted.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int ReceiveBufferSize
    {
        get => _receiveBufferSize;
        set
        {
            if (value <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(ReceiveBufferSize), value, "ReceiveBufferSize must be 1 or more bytes.");
            }
            _receiveBufferSize = value;
        }
    }

    /// <summary>Permits sending to (and connecting to) a broadcast address (SO_BROADCAST). Off by default.</summary>
    public bool Broadcast
    {
        get => _broadcast;
        set => _broadcast = value;
    }

    /// <summary>
    /// Lets several endpoints bind the same address and port (SO_REUSEADDR/SO_REUSEPORT) when every one of
    /// them sets it before binding: multicast and broadcast datagrams go to each, unicast ones to one of them
    /// by flow hash.
    /// </summary>
    public bool ReuseAddress
    {
        get => _reuseAddress;
        set => _reuseAddress = value;
    }

    /// <summary>TTL / hop limit of unicast datagrams (IP_TTL, IPV6_UNICAST_HOPS); the stack's default until set.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1..255.</exception>
    public int Ttl
    {
        get
        {
            byte ttl = Volatile.Read(ref _ttl);
            return ttl != 0 ? ttl : _stack.Options.DefaultTtl;
        }
        set => Volatile.Write(ref _ttl, CheckTtl(value, nameof(Ttl)));
    }

    /// <summary>TTL / hop limit of multicast datagrams (IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS), 1 by default.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1..255.</exception>
    public int MulticastTtl
    {
        get => Volatile.Read(ref _multicastTtl);
        set => Volatile.Write(ref _multicastTtl, CheckTtl(value, nameof(MulticastTtl)));
    }

    /// <summary>IPv4 type of service / IPv6 traffic class of sent datagrams.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0..255.</exception>
    public int TypeOfService
    {
        get => Volatile.Read(ref _typeOfService);
        set
        {
            if ((uint)value > 255)
            {
                throw new ArgumentOutOfRangeException(nameof(TypeOfService), value, "TypeOfService must be 0..255.");
            }
            Volatile.Write(ref _typeOfService, (byte)value);
        }
    }

    /// <summary>
    /// Sets DF on IPv4 datagrams (IP_PMTUDISC_DO): one larger than the path MTU fails with
    /// <see cref="TcpipError.MessageTooLong"/> instead of being fragmented. IPv6 never fragments in transit.
    /// </summary>
    public bool DontFragment
    {
        get => _dontFragment;
        set => _dontFragment = value;
    }

    /// <summary>The NIC multicast datagrams leave by (IP_MULTICAST_IF); 0: as the route table says.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MulticastNicId
    {
        get => _multicastNicId;
        set
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(MulticastNicId), value, "MulticastNicId must be a NIC id, or 0 for the route table's choice.");
            }
            _multicastNicId = value;
        }
    }

    /// <summary>Payload length of the next queued datagram (FIONREAD on a Linux UDP socket), 0 if none.</summary>
    public int NextDatagramSize
    {
        get => _received.NextSize;
    }

    /// <summary>Bytes charged against the receive buffer by queued datagrams.</summary>
    public int QueuedBytes
    {
        get => _received.Bytes;
    }

    /// <summary>Datagrams waiting to be read.</summary>
    public int QueuedDatagrams
    {
        get => _received.Count;
    }

    private Address AnyAddress => _addressLength == 4 ? Address.AnyV4 : Address.AnyV6;

    private int MaxPayload => _addressLength == 4 ? UdpProtocol.MaxIPv4Payload : UdpProtocol.MaxIPv6Payload;

    /// <summary>
    /// Binds to a local address and port. The address may be unspecified (every address), one of the
    /// stack's, a broadcast address or a multicast group (to receive only that group); port 0 picks an
    /// ephemeral port. A non-zero <see cref="FullAddress.NicId"/> also binds to that NIC (SO_BINDTODEVICE).
    /// </summary>
    /// <returns><see cref="TcpipError.AlreadyBound"/>, <see cref="TcpipError.BadLocalAddress"/>,
    /// <see cref="TcpipError.PortInUse"/>, <see cref="TcpipError.NoPortAvailable"/>, ... or None.</returns>
    public TcpipError Bind(FullAddress local)
    {
        lock (_gate)
        {
            if (_state == UdpEndpointState.Closed)
            {
                return TcpipError.InvalidEndpointState;
            }
            if (_state != UdpEndpointState.Initial)
            {
                return TcpipError.AlreadyBound;
            }
            var address = local.Address.IsEmpty ? AnyAddress : local.Address;
            if (address.Length != _addressLength)
            {
                return TcpipError.AddressFamilyNotSupported;
            }
            int nicId = local.NicId;
            if (nicId != 0 && !_stack.TryGetNic(nicId, out _))
            {
                return TcpipError.UnknownNicId;
            }
            if (!address.IsUnspecified && !address.IsMulticast && !address.IsLimitedBroadcast)
            {
                var owner = FindOwner(address, nicId);
                if (owner is null)
                {
                    return TcpipError.BadLocalAddress;
                }
                // A link-local address names a host only on its own link: bind to that link as well.
                if (address.IsLinkLocalUnicast && nicId == 0)
                {
                    nicId = owner.Id;
                }
            }
            var error = _stack.Ports.Reserve(Protocol, address, local.Port, _reuseAddress, out ushort port);
            if (error != TcpipError.None)
            {
                return error;
            }
            var id = new TransportEndpointId(port, address, 0, default);
            error = _stack.Demuxer.Register(Protocol, id, this, _reuseAddress);
            if (error != TcpipError.None)
            {
                _stack.Ports.Release(Protocol, address, port);
                return error;
            }
            _bindAddress = address;
            _sourceBound = !address.IsUnspecified && !address.IsMulticast && !address.IsLimitedBroadcast
                && (nicId != 0 ? _stack.GetNic(nicId).HasAddress(address) : _stack.FindNicWithAddress(address) is not null);
            _portBound = true;
            _port = port;
            _reservedAddress = address;
            _portReserved = true;
            _bindNicId = nicId;
            _registeredId = id;
            _registered = true;
            _state = UdpEndpointState.Bound;
            return TcpipError.None;
        }
    }

    /// <summary>
    /// Sets the default peer: sends without a destination go to it and only its datagrams are received.
    /// Binds an ephemeral port first if needed; picks the source address from the route. May be called again
    /// to change peers. ICMP errors about traffic to the peer are then reported by the next read or write.
    /// </summary>
    /// <returns><see cref="TcpipError.NetworkUnreachable"/>, <see cref="TcpipError.BroadcastDisabled"/>, ... or None.</returns>
    public TcpipError Connect(FullAddress remote)
    {
        lock (_gate)
        {
            if (_state == UdpEndpointState.Closed)
            {
                return TcpipError.InvalidEndpointState;
            }
            if (remote.Address.Length != _addressLength)
            {
                return TcpipError.AddressFamilyNotSupported;
            }
            if (remote.Port == 0)
            {
                return TcpipError.InvalidEndpointState;
            }
            var error = ResolveNic(remote, out int nicId);
            if (error != TcpipError.None)
            {
                return error;
            }
            CachedRoute? fresh = null;
            error = LookupRoute(remote.Address, RouteSourceLocked(connected: false), nicId, ref fresh, out var cached);
            if (error != TcpipError.None)
            {
                return error;
            }
            if (cached.IsBroadcast && !_broadcast)
            {
                return TcpipError.BroadcastDisabled;
            }
            var route = cached.Route;
            var local = UnicastBindAddress(out var bound) ? bound : route.LocalAddress;
            ushort port = _port;
            bool autobind = _state == UdpEndpointState.Initial;
            if (autobind)
            {
                error = _stack.Ports.Reserve(Protocol, AnyAddress, 0, false, out port);
                if (error != TcpipError.None)
                {
                    return error;
                }
            }
            var id = new TransportEndpointId(port, local, remote.Port, remote.Address);
            if (_registered)
            {
                _stack.Demuxer.Unregister(Protocol, _registeredId, this);
            }
            error = _stack.Demuxer.Register(Protocol, id, this, _reuseAddress);
            if (error != TcpipError.None)
            {
                if (autobind)
                {
                    _stack.Ports.Release(Protocol, AnyAddress, port);
                }
                if (_registered)
                {
                    _stack.Demuxer.Register(Protocol, _registeredId, this, _reuseAddress);
                }
                return error;
            }
            if (autobind)
            {
                _port = port;
                _reservedAddress = AnyAddress;
                _portReserved = true;
            }
            _registeredId = id;
            _registered = true;
            _connectedRoute = cached;
            int scope = remote.Address.IsV6 && (remote.Address.IsLinkLocalUnicast || remote.Address.IsLinkLocalMulticast) ? route.Nic.Id : remote.NicId;
            _peer = new Peer(remote with { NicId = scope }, nicId);
            _state = UdpEndpointState.Connected;
            return TcpipError.None;
        }
    }

    /// <summary>
    /// Drops the default peer (connect with AF_UNSPEC): back to receiving from anyone. As on Linux, a port the
    /// endpoint picked itself (not by <see cref="Bind"/>) is given up, and so is a source address it chose.
    /// </summary>
    public TcpipError Disconnect()
    {
        lock (_gate)
        {
            if (_state != UdpEndpointState.Connected)
            {
                return _state == UdpEndpointState.Closed ? TcpipError.InvalidEndpointState : TcpipError.None;
            }
            _stack.Demuxer.Unregister(Protocol, _registeredId, this);
            _registered = false;
            _peer = null;
            _connectedRoute = null;
            if (!_portBound)
            {
                ReleasePortLocked();
                _state = UdpEndpointState.Initial;
                return TcpipError.None;
            }
            var id = new TransportEndpointId(_port, _bindAddress, 0, default);
            var error = _stack.Demuxer.Register(Protocol, id, this, _reuseAddress);
            if (error != TcpipError.None)
            {
                ReleasePortLocked();
                _state = UdpEndpointState.Initial;
                return error;
            }
            _registeredId = id;
            _registered = true;
            _state = UdpEndpointState.Bound;
            return TcpipError.None;
        }
    }

    /// <summary>Sends one datagram to the connected peer.</summary>
    /// <returns><see cref="TcpipError.DestinationRequired"/> when not connected, a pending ICMP error, or the send's error.</returns>
    public TcpipError Write(ReadOnlySpan<byte> payload) => Send(payload, default, toPeer: true);

    /// <summary>
    /// Sends one datagram to <paramref name="destination"/> (allowed on a connected endpoint too, as on Linux).
    /// An unbound endpoint is bound to an ephemeral port first. Datagrams above the path MTU are fragmented by
    /// the network layer unless <see cref="DontFragment"/> is set.
    /// </summary>
    /// <returns><see cref="TcpipError.MessageTooLong"/> above 65,507 (IPv4) / 65,527 (IPv6) bytes,
    /// <see cref="TcpipError.BroadcastDisabled"/>, <see cref="TcpipError.NetworkUnreachable"/>, ... or None.</returns>
    public TcpipError WriteTo(ReadOnlySpan<byte> payload, FullAddress destination) => Send(payload, destination, toPeer: false);

    /// <summary>
    /// Reads the next datagram into <paramref name="destination"/> without waiting. A datagram larger than the
    /// buffer is truncated and the rest discarded (<see cref="UdpReadResult.Truncated"/>).
    /// </summary>
    /// <returns><see cref="TcpipError.WouldBlock"/> when nothing is queued, a pending ICMP error,
    /// <see cref="TcpipError.ClosedForReceive"/> after close, or None.</returns>
    public TcpipError Read(Span<byte> destination, out UdpReadResult result) => _received.Read(destination, out result);

    /// <summary>
    /// Reads the next datagram into <paramref name="waiter"/> if one is queued (calling it before returning
    /// None); otherwise registers it to be called when one arrives (returns <see cref="TcpipError.WouldBlock"/>)
    /// until <see cref="CancelWait"/>. Waiters are served in order. Any other return is an error and the
    /// waiter is not called.
    /// </summary>
    public TcpipError ReadOrWait(IUdpReadWaiter waiter)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        return _received.ReadOrWait(waiter);
    }

    /// <summary>
    /// Withdraws a waiter registered by <see cref="ReadOrWait"/>. True if it was still waiting (it will not be
    /// called); false if it has been or is being completed.
    /// </summary>
    public bool CancelWait(IUdpReadWaiter waiter) => _received.CancelWait(waiter);

    /// <summary>
    /// Joins multicast <paramref name="group"/> on NIC <paramref name="nicId"/> (0: the NIC the route table
    /// picks for the group, else the first NIC with an address of the family) so its datagrams are received.
    /// Left again on <see cref="LeaveGroup"/> or close.
    /// </summary>
    /// <returns><see cref="TcpipError.DuplicateAddress"/> when already joined there, <see cref="TcpipError.UnknownNicId"/>,
    /// <see cref="TcpipError.UnknownDevice"/> when no NIC fits, or None.</returns>
    public TcpipError JoinGroup(Address group, int nicId = 0)
    {
        if (!group.IsMulticast || group.Length != _addressLength)
        {
            return TcpipError.InvalidOptionValue;
        }
        lock (_gate)
        {
            if (_state == UdpEndpointState.Closed)
            {
                return TcpipError.InvalidEndpointState;
            }
            var error = GroupNic(group, nicId, out var nic);
            if (error != TcpipError.None)
            {
                return error;
            }
            if (_groups.Contains((group, nic.Id)))
            {
                return TcpipError.DuplicateAddress;
            }
            nic.JoinGroup(group);
            _groups.Add((group, nic.Id));
            return TcpipError.None;
        }
    }

    /// <summary>Leaves a group joined with <see cref="JoinGroup"/> (same NIC choice).</summary>
    /// <returns><see cref="TcpipError.BadLocalAddress"/> when not joined there (EADDRNOTAVAIL), or None.</returns>
    public TcpipError LeaveGroup(Address group, int nicId = 0)
    {
        if (!group.IsMulticast || group.Length != _addressLength)
        {
            return TcpipError.InvalidOptionValue;
        }
        lock (_gate)
        {
            int index = nicId != 0
                ? _groups.IndexOf((group, nicId))
                : _groups.FindIndex(g => g.Group == group);
            if (index < 0)
            {
                return TcpipError.BadLocalAddress;
            }
            var (_, id) = _groups[index];
            _groups.RemoveAt(index);
            if (_stack.TryGetNic(id, out var nic))
            {
                nic.LeaveGroup(group);
            }
            return TcpipError.None;
        }
    }

    /// <summary>The multicast groups joined, with their NICs.</summary>
    public IReadOnlyList<(Address Group, int NicId)> Groups
    {
        get
        {
            lock (_gate)
            {
                return _groups.ToArray();
            }
        }
    }

    /// <inheritdoc/>
    public void HandlePacket(Nic nic, in TransportEndpointId id, PacketBuffer packet)
    {
        var stats = _protocol.Stats;
        if (!_protocol.Validate(packet))
        {
            return;
        }
        int bound = _bindNicId;
        if (bound != 0 && bound != nic.Id)
        {
            stats.DroppedWrongNic.Increment();
            return;
        }
        packet.TryConsumeHeader(HeaderKind.Transport, UdpHeader.Size, out var bytes);
        UdpHeader.TryParse(bytes, out var header);
        packet.TrimData(header.Length - UdpHeader.Size);
        var remote = id.RemoteAddress;
        int scope = remote.IsV6 && remote.IsLinkLocalUnicast ? nic.Id : 0;
        var info = new UdpDatagramInfo(new FullAddress(remote, id.RemotePort, scope), id.LocalAddress, nic.Id);

        if (_received.Deliver(packet, info, _receiveBufferSize, out bool closed))
        {
            stats.DatagramsReceived.Increment();
        }
        else if (closed)
        {
            stats.DroppedEndpointClosed.Increment();
        }
        else
        {
            stats.DroppedReceiveBufferFull.Increment();
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// As Linux without IP_RECVERR: only a connected endpoint hears of errors, and only of hard ones (port,
    /// host, network or protocol unreachable, administratively prohibited); the error is handed to a waiting
    /// reader or kept for the next read or write. Path MTU news is the network layer's business.
    /// </remarks>
    public void HandleError(in TransportEndpointId id, TransportError error)
    {
        var peer = _peer;
        var code = error.Kind switch
        {
            TransportErrorKind.PortUnreachable => TcpipError.ConnectionRefused,
            TransportErrorKind.HostUnreachable => TcpipError.HostUnreachable,
            TransportErrorKind.NetworkUnreachable => TcpipError.NetworkUnreachable,
            TransportErrorKind.ProtocolUnreachable => TcpipError.UnknownProtocol,
            TransportErrorKind.Prohibited => TcpipError.HostUnreachable,
            _ => TcpipError.None,
        };
        if (peer is null || code == TcpipError.None
            || id.RemotePort != peer.Address.Port || id.RemoteAddress != peer.Address.Address)
        {
            _protocol.Stats.IcmpErrorsIgnored.Increment();
            return;
        }
        _protocol.Stats.IcmpErrorsReported.Increment();
        _received.SetError(code);
    }

    /// <summary>
    /// Closes the endpoint: unregisters it, gives up its port and groups, fails waiting readers with
    /// <see cref="TcpipError.Aborted"/> and releases queued datagrams. Idempotent.
    /// </summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_state == UdpEndpointState.Closed)
            {
                return;
            }
            if (_registered)
            {
                _stack.Demuxer.Unregister(Protocol, _registeredId, this);
                _registered = false;
            }
            ReleasePortLocked();
            foreach (var (group, nicId) in _groups)
            {
                if (_stack.TryGetNic(nicId, out var nic))
                {
                    nic.LeaveGroup(group);
                }
            }
            _groups.Clear();
            _peer = null;
            _connectedRoute = null;
            _lastRoute = null;
            _state = UdpEndpointState.Closed;
        }
        _received.Close();
    }

    /// <summary>Same as <see cref="Close"/>.</summary>
    public void Dispose() => Close();

    /// <inheritdoc/>
    public override string ToString() => $"udp {LocalAddress} -> {RemoteAddress} ({_state})";

    private TcpipError Send(ReadOnlySpan<byte> payload, FullAddress destination, bool toPeer)
    {
        if (_received.HasPendingError)
        {
            var pending = _received.TakeError();
            if (pending != TcpipError.None)
            {
                return pending;
            }
        }
        if (payload.Length > MaxPayload)
        {
            return TcpipError.MessageTooLong;
        }
        Route route;
        ushort sourcePort;
        FullAddress to;
        NetworkHeaderParams parameters;
        lock (_gate)
        {
            var error = PrepareSendLocked(destination, toPeer, out route, out to);
            if (error != TcpipError.None)
            {
                return error;
            }
            sourcePort = _port;
            byte ttl = to.Address.IsMulticast ? _multicastTtl : _ttl;
            parameters = new NetworkHeaderParams(Protocol, ttl, _typeOfService, _dontFragment && _addressLength == 4);
        }
        return Transmit(route, payload, sourcePort, to.Port, parameters);
    }

    private TcpipError PrepareSendLocked(FullAddress destination, bool toPeer, out Route route, out FullAddress to)
    {
        route = null!;
        to = default;
        if (_state == UdpEndpointState.Closed)
        {
            return TcpipError.ClosedForSend;
        }
        CachedRoute? cached;
        if (toPeer)
        {
            var peer = _peer;
            if (peer is null)
            {
                return TcpipError.DestinationRequired;
            }
            to = peer.Address;
            cached = _connectedRoute;
            if (cached is null || !cached.IsCurrent(_stack))
            {
                var error = LookupRoute(to.Address, RouteSourceLocked(connected: true), peer.NicId, ref _connectedRoute, out cached);
                if (error != TcpipError.None)
                {
                    return error;
                }
            }
        }
        else
        {
            to = destination;
            if (to.Address.Length != _addressLength)
            {
                return TcpipError.AddressFamilyNotSupported;
            }
            if (to.Port == 0)
            {
                return TcpipError.InvalidEndpointState;
            }
            var error = ResolveNic(to, out int nicId);
            if (error != TcpipError.None)
            {
                return error;
            }
            error = LookupRoute(to.Address, RouteSourceLocked(connected: _state == UdpEndpointState.Connected), nicId, ref _lastRoute, out cached);
            if (error != TcpipError.None)
            {
                return error;
            }
            if (_state == UdpEndpointState.Initial)
            {
                error = AutobindLocked();
                if (error != TcpipError.None)
                {
                    return error;
                }
            }
        }
        if (cached.IsBroadcast && !_broadcast)
        {
            return TcpipError.BroadcastDisabled;
        }
        route = cached.Route;
        return TcpipError.None;
    }

    private TcpipError Transmit(Route route, ReadOnlySpan<byte> payload, ushort sourcePort, ushort destinationPort, NetworkHeaderParams parameters)
    {
        var stats = _protocol.Stats;
        int length = UdpHeader.Size + payload.Length;
        var packet = PacketBuffer.Rent(route.MaxHeaderLength + UdpHeader.Size, payload.Length);
        try
        {
            packet.CopyFromData(0, payload);
            var header = packet.PushHeader(HeaderKind.Transport, UdpHeader.Size);
            UdpHeader.Encode(header, sourcePort, destinationPort, (ushort)length, 0);
            UdpHeader.TryParse(header, out var udp);
            var local = route.LocalAddress;
            var remote = route.RemoteAddress;
            ushort pseudo = Checksum.PseudoHeaderSum(local, remote, Protocol, length);
            int networkHeader = _addressLength == 4 ? IPv4HeaderLength : IPv6HeaderLength;
            // The link may complete the checksum (CHECKSUM_PARTIAL: the field holds the pseudo-header sum),
            // but not once the network layer fragments the datagram: then it is computed here.
            if (route.RequiresTxChecksum || networkHeader + length > route.Mtu)
            {
                ushort sum = Checksum.Sum(payload, Checksum.Sum(header, pseudo));
                ushort checksum = Checksum.Finish(sum);
                // RFC 768: a computed zero is sent as all ones; zero means "no checksum".
                udp.SetChecksum(checksum == 0 ? (ushort)0xFFFF : checksum);
            }
            else
            {
                udp.SetChecksum(pseudo);
                packet.Gso = new GsoOptions
                {
                    NeedsChecksum = true,
                    ChecksumOffset = UdpHeader.ChecksumOffset,
                    L3HeaderLength = (ushort)networkHeader,
                };
            }
            packet.Hash = (uint)HashCode.Combine(sourcePort, destinationPort, remote);
            var error = route.WritePacket(packet, parameters);
            if (error == TcpipError.NoBufferSpace)
            {
                // Linux's udp_send_skb hides ENOBUFS unless IP_RECVERR is set: the datagram is simply lost.
                stats.SendNoBufferSpace.Increment();
                return TcpipError.None;
            }
            if (error != TcpipError.None)
            {
                stats.SendErrors.Increment();
                return error;
            }
            stats.DatagramsSent.Increment();
            return TcpipError.None;
        }
        finally
        {
            packet.Release();
        }
    }

    private TcpipError LookupRoute(Address remote, Address local, int nicId, ref CachedRoute? cache, out CachedRoute cached)
    {
        var current = cache;
        if (current is not null && current.Answers(_stack, remote, local, nicId))
        {
            cached = current;
            return TcpipError.None;
        }
        long generation = _stack.RoutingGeneration;
        var error = _stack.FindRoute(remote, out var route, local, nicId);
        if (error == TcpipError.NetworkUnreachable && nicId == 0 && remote.IsMulticast
            && GroupNic(remote, 0, out var nic) == TcpipError.None)
        {
            // No route covers the group: use the NIC a join would pick, as Linux's per-device ff00::/8
            // routes do for IPv6 (and so that a host without a default route can still send to a group).
            error = _stack.FindRoute(remote, out route, local, nic.Id);
        }
        if (error != TcpipError.None)
        {
            cached = null!;
            return error;
        }
        cached = new CachedRoute(route!, generation, local, nicId);
        cache = cached;
        return TcpipError.None;
    }

    // The source address a route must use: a unicast address the endpoint is bound to, else the one chosen
    // at connect (Linux keeps inet_saddr for every send of a connected socket).
    private Address RouteSourceLocked(bool connected)
    {
        if (UnicastBindAddress(out var bound))
        {
            return bound;
        }
        return connected ? _registeredId.LocalAddress : default;
    }

    // A unicast address of ours the endpoint is bound to: its datagrams must come from it.
    private bool UnicastBindAddress(out Address address)
    {
        address = _bindAddress;
        return _sourceBound;
    }

    // The NIC a datagram to `to` must leave by: the destination's scope, the bound NIC, for multicast the
    // multicast interface, for the limited broadcast the NIC of the bound address; a scope that contradicts
    // the bound NIC is an error (Linux: EINVAL).
    private TcpipError ResolveNic(FullAddress to, out int nicId)
    {
        int bound = _bindNicId;
        nicId = to.NicId;
        if (nicId != 0 && bound != 0 && nicId != bound)
        {
            return TcpipError.InvalidEndpointState;
        }
        if (nicId == 0)
        {
            nicId = bound;
        }
        if (nicId == 0 && to.Address.IsMulticast)
        {
            nicId = _multicastNicId;
        }
        if (nicId == 0 && to.Address.IsLimitedBroadcast && _sourceBound)
        {
            // Linux sends 255.255.255.255 out of the device that owns the bound source address.
            nicId = _stack.FindNicWithAddress(_bindAddress)?.Id ?? 0;
        }
        return TcpipError.None;
    }

    private TcpipError AutobindLocked()
    {
        var any = AnyAddress;
        var error = _stack.Ports.Reserve(Protocol, any, 0, false, out ushort port);
        if (error != TcpipError.None)
        {
            return error;
        }
        var id = new TransportEndpointId(port, any, 0, default);
        error = _stack.Demuxer.Register(Protocol, id, this, _reuseAddress);
        if (error != TcpipError.None)
        {
            _stack.Ports.Release(Protocol, any, port);
            return error;
        }
        _port = port;
        _reservedAddress = any;
        _portReserved = true;
        _registeredId = id;
        _registered = true;
        _state = UdpEndpointState.Bound;
        return TcpipError.None;
    }

    private void ReleasePortLocked()
    {
        if (_portReserved)
        {
            _stack.Ports.Release(Protocol, _reservedAddress, _port);
            _portReserved = false;
        }
        _port = 0;
        _bindAddress = AnyAddress;
        _sourceBound = false;
        _portBound = false;
        _bindNicId = 0;
    }

    private TcpipError GroupNic(Address group, int nicId, out Nic nic)
    {
        if (nicId != 0)
        {
            return _stack.TryGetNic(nicId, out nic) ? TcpipError.None : TcpipError.UnknownNicId;
        }
        if (_stack.FindRoute(group, out var route) == TcpipError.None && route is not null)
        {
            nic = route.Nic;
            return TcpipError.None;
        }
        foreach (var candidate in _stack.Nics)
        {
            if (!candidate.Enabled)
            {
                continue;
            }
            foreach (var a in candidate.Addresses)
            {
                if (a.Address.Length == _addressLength)
                {
                    nic = candidate;
                    return TcpipError.None;
                }
            }
        }
        nic = null!;
        return TcpipError.UnknownDevice;
    }

    private Nic? FindOwner(Address address, int nicId)
    {
        if (nicId != 0)
        {
            return _stack.TryGetNic(nicId, out var nic) && (nic.HasAddress(address) || nic.IsBroadcast(address)) ? nic : null;
        }
        var owner = _stack.FindNicWithAddress(address);
        if (owner is not null)
        {
            return owner;
        }
        foreach (var nic in _stack.Nics)
        {
            if (nic.IsBroadcast(address))
            {
                return nic;
            }
        }
        return null;
    }

    private static byte CheckTtl(int value, string name)
    {
        if (value is < 1 or > 255)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be 1..255.");
        }
        return (byte)value;
    }

    // The connected peer and the NIC its traffic is pinned to; replaced, never changed.
    private sealed record Peer(FullAddress Address, int NicId);
}
