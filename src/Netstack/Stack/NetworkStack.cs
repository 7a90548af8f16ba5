using Netstack.Buffers;
using Netstack.Stack.Timers;

namespace Netstack.Stack;

/// <summary>
/// A userspace TCP/IP host: NICs over link endpoints, their addresses, a route table, the network and
/// transport protocols, and the demultiplexer that joins them (gVisor's <c>stack.Stack</c>).
/// Configuration calls throw on misuse; the packet path reports errors as <see cref="TcpipError"/> values.
/// </summary>
public sealed class NetworkStack : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ushort, INetworkProtocol> _networkProtocols = new();
    private readonly ITransportProtocol?[] _transportProtocols = new ITransportProtocol?[256];
    private readonly LoopbackQueue _loopback = new();
    private volatile Nic[] _nics = [];
    private long _interfaceGeneration;
    private INetworkProtocol? _ipv4;
    private INetworkProtocol? _ipv6;
    private INetworkProtocol? _arp;
    private bool _disposed;

    /// <summary>Creates a stack running the protocols named in <paramref name="options"/> (all of them by default).</summary>
    public NetworkStack(StackOptions? options = null)
    {
        Options = options ?? new StackOptions();
        Options.Validate();
        Timers = new TimerWheel(Options.TimeProvider);
        foreach (var factory in Options.NetworkProtocols)
        {
            RegisterNetworkProtocol(factory(this));
        }
        foreach (var factory in Options.TransportProtocols)
        {
            RegisterTransportProtocol(factory(this));
        }
    }

    /// <summary>The options the stack was created with.</summary>
    public StackOptions Options { get; }

    /// <summary>The stack's clock.</summary>
    public TimeProvider Time => Options.TimeProvider;

    /// <summary>The timer wheel every protocol timer runs on.</summary>
    public TimerWheel Timers { get; }

    /// <summary>The route table.</summary>
    public RouteTable Routes { get; } = new();

    /// <summary>
    /// Changes whenever anything <see cref="FindRoute"/> depends on changes: the route table, a NIC added,
    /// removed, enabled or disabled, an address added, removed or changing state. A <see cref="Route"/> found
    /// while it had one value is what <see cref="FindRoute"/> answers for as long as it keeps it.
    /// </summary>
    public long RoutingGeneration => Routes.Generation + Volatile.Read(ref _interfaceGeneration);

    /// <summary>The transport demultiplexer.</summary>
    public TransportDemuxer Demuxer { get; } = new();

    /// <summary>Port reservations and the ephemeral range.</summary>
    public PortManager Ports { get; } = new();

    /// <summary>Stack-wide counters.</summary>
    public StackStats Stats { get; } = new();

    /// <summary>The NICs (a snapshot).</summary>
    public IReadOnlyList<Nic> Nics => _nics;

    /// <summary>Raised (on the receive thread) when a protocol handler threw; the packet was dropped.</summary>
    public event Action<Nic, Exception>? HandlerFault;

    /// <summary>Adds a network protocol; existing NICs are announced to it.</summary>
    /// <exception cref="InvalidOperationException">A protocol with that number is already registered.</exception>
    public void RegisterNetworkProtocol(INetworkProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        Nic[] nics;
        lock (_gate)
        {
            if (!_networkProtocols.TryAdd(protocol.Number, protocol))
            {
                throw new InvalidOperationException($"Network protocol 0x{protocol.Number:x4} is already registered.");
            }
            switch (protocol.Number)
            {
                case NetworkProtocolNumber.IPv4:
                    _ipv4 = protocol;
                    break;
                case NetworkProtocolNumber.IPv6:
                    _ipv6 = protocol;
                    break;
                case NetworkProtocolNumber.Arp:
                    _arp = protocol;
                    break;
            }
            nics = _nics;
        }
        foreach (var nic in nics)
        {
            protocol.OnNicCreated(nic);
            if (nic.Enabled)
            {
                protocol.OnNicEnabledChanged(nic, true);
            }
        }
    }

    /// <summary>Adds a transport protocol.</summary>
    /// <exception cref="InvalidOperationException">A protocol with that number is already registered.</exception>
    public void RegisterTransportProtocol(ITransportProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        lock (_gate)
        {
            if (_transportProtocols[protocol.Number] is not null)
            {
                throw new InvalidOperationException($"Transport protocol {protocol.Number} is already registered.");
            }
            _transportProtocols[protocol.Number] = protocol;
        }
    }

    /// <summary>The network protocol for an EtherType, if registered.</summary>
    public INetworkProtocol? GetNetworkProtocol(ushort number)
    {
        switch (number)
        {
            case NetworkProtocolNumber.IPv4:
                return _ipv4;
            case NetworkProtocolNumber.IPv6:
                return _ipv6;
            case NetworkProtocolNumber.Arp:
                return _arp;
        }
        lock (_gate)
        {
            return _networkProtocols.GetValueOrDefault(number);
        }
    }

    /// <summary>The IP protocol for an address family (by address length), if registered.</summary>
    public IIPProtocol? GetIPProtocol(Address address) => (address.IsV4 ? _ipv4 : address.IsV6 ? _ipv6 : null) as IIPProtocol;

    /// <summary>The transport protocol for a protocol number, if registered.</summary>
    public ITransportProtocol? GetTransportProtocol(byte number) => _transportProtocols[number];

    /// <summary>
    /// Creates NIC <paramref name="id"/> on <paramref name="link"/> and attaches itself as the link's dispatcher
    /// (the seed's "passing it to Stack.CreateNIC"). The NIC is enabled unless the options say otherwise.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">A NIC with that id exists.</exception>
    public Nic CreateNic(int id, ILinkEndpoint link, NicOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (id <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, "A NIC id must be 1 or more.");
        }
        Nic nic;
        INetworkProtocol[] protocols;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Array.Exists(_nics, n => n.Id == id))
            {
                throw new InvalidOperationException($"NIC {id} already exists (TcpipError.{TcpipError.DuplicateNicId}).");
            }
            nic = new Nic(this, id, link, options ?? new NicOptions());
            _nics = [.. _nics, nic];
            OnInterfacesChanged();
            protocols = _networkProtocols.Values.ToArray();
        }
        foreach (var p in protocols)
        {
            p.OnNicCreated(nic);
        }
        link.Attach(nic);
        if (options?.Disabled != true)
        {
            EnableNic(id);
        }
        return nic;
    }

    /// <summary>
    /// Removes a NIC: detaches its link endpoint (the readers stop), drops its routes, addresses and
    /// neighbours. The link endpoint itself is not disposed.
    /// </summary>
    /// <exception cref="ArgumentException">No NIC has that id.</exception>
    public void RemoveNic(int id)
    {
        var nic = GetNic(id);
        DisableNic(id);
        nic.Link.Attach(null);
        foreach (var a in nic.Addresses.ToArray())
        {
            RemoveAddress(id, a.Address);
        }
        Routes.RemoveAll(r => r.NicId == id);
        foreach (var p in ProtocolsSnapshot())
        {
            p.OnNicRemoved(nic);
        }
        nic.GetNeighborCache(NetworkProtocolNumber.IPv4)?.Clear();
        nic.GetNeighborCache(NetworkProtocolNumber.IPv6)?.Clear();
        lock (_gate)
        {
            _nics = Array.FindAll(_nics, n => n.Id != id);
            OnInterfacesChanged();
        }
    }

    /// <summary>The NIC with <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException">No NIC has that id.</exception>
    public Nic GetNic(int id) => TryGetNic(id, out var nic)
        ? nic
        : throw new ArgumentException($"No NIC has id {id} (TcpipError.{TcpipError.UnknownNicId}).", nameof(id));

    /// <summary>The NIC with <paramref name="id"/>, if any.</summary>
    public bool TryGetNic(int id, out Nic nic)
    {
        foreach (var n in _nics)
        {
            if (n.Id == id)
            {
                nic = n;
                return true;
            }
        }
        nic = null!;
        return false;
    }

    /// <summary>The NIC that has <paramref name="address"/> assigned (accepting traffic), if any.</summary>
    public Nic? FindNicWithAddress(Address address)
    {
        foreach (var n in _nics)
        {
            if (n.HasAddress(address))
            {
                return n;
            }
        }
        return null;
    }

    /// <summary>Enables a NIC: it starts sending and receiving.</summary>
    public void EnableNic(int id) => SetNicEnabled(GetNic(id), true);

    /// <summary>Disables a NIC: inbound packets are dropped and counted, sends fail.</summary>
    public void DisableNic(int id) => SetNicEnabled(GetNic(id), false);

    /// <summary>
    /// Assigns an address to a NIC. With <see cref="StackOptions.AddOnLinkRoutes"/>, the on-link route for its
    /// subnet is added too. IPv6 addresses start tentative while duplicate address detection runs.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown NIC, or the address is empty, multicast or unspecified.</exception>
    /// <exception cref="InvalidOperationException">The NIC already has the address.</exception>
    public NicAddress AddAddress(int nicId, AddressWithPrefix address, AddressKind kind = AddressKind.Static)
    {
        var nic = GetNic(nicId);
        var a = address.Address;
        if (a.IsEmpty || a.IsUnspecified || a.IsMulticast || a.IsLimitedBroadcast)
        {
            throw new ArgumentException($"{address} cannot be assigned to a NIC (empty, unspecified, multicast or broadcast).", nameof(address));
        }
        if (nic.FindAddress(a) is not null)
        {
            throw new InvalidOperationException($"NIC {nicId} already has {a} (TcpipError.{TcpipError.DuplicateAddress}).");
        }
        var entry = new NicAddress(this, address, kind, AddressState.Assigned);
        GetNetworkProtocol(a.NetworkProtocol)?.OnAddressAdding(nic, entry);
        nic.AddAddressEntry(entry);
        OnInterfacesChanged();
        if (Options.AddOnLinkRoutes && address.PrefixLength < a.Length * 8)
        {
            Routes.Add(RouteEntry.OnLink(address.Subnet, nicId));
        }
        return entry;
    }

    /// <summary>Removes an address from a NIC (and its on-link route, if no other address needs it).</summary>
    /// <exception cref="ArgumentException">Unknown NIC.</exception>
    public bool RemoveAddress(int nicId, Address address)
    {
        var nic = GetNic(nicId);
        var entry = nic.RemoveAddressEntry(address);
        if (entry is null)
        {
            return false;
        }
        OnInterfacesChanged();
        if (Options.AddOnLinkRoutes && !nic.Addresses.Any(x => x.Subnet == entry.Subnet))
        {
            var onLink = RouteEntry.OnLink(entry.Subnet, nicId);
            Routes.RemoveAll(r => r == onLink);
        }
        GetNetworkProtocol(address.NetworkProtocol)?.OnAddressRemoved(nic, entry);
        return true;
    }

    /// <summary>Adds a route.</summary>
    public void AddRoute(RouteEntry route)
    {
        if (route.Destination.Network.IsEmpty)
        {
            throw new ArgumentException("The route needs a destination.", nameof(route));
        }
        if (!route.IsOnLink && route.Gateway.Length != route.Destination.Network.Length)
        {
            throw new ArgumentException($"Gateway {route.Gateway} is not of the destination's family ({route.Destination}).", nameof(route));
        }
        Routes.Add(route);
    }

    /// <summary>
    /// Finds how to reach <paramref name="remote"/>: from <paramref name="local"/> if given (it must be
    /// assigned here), through <paramref name="nicId"/> if given. A destination that is one of this host's
    /// addresses gives a local (loopback) route.
    /// </summary>
    public TcpipError FindRoute(Address remote, out Route? route, Address local = default, int nicId = 0)
    {
        route = null;
        var ip = GetIPProtocol(remote);
        if (ip is null)
        {
            return remote.IsEmpty ? TcpipError.DestinationRequired : TcpipError.AddressFamilyNotSupported;
        }
        if (remote.IsUnspecified)
        {
            return TcpipError.BadAddress;
        }
        bool haveLocal = !local.IsEmpty && !local.IsUnspecified;
        if (haveLocal)
        {
            if (local.Length != remote.Length)
            {
                return TcpipError.NetworkUnreachable;
            }
            var owner = FindNicWithAddress(local);
            if (owner is null && !(local.IsMulticast || remote.IsMulticast))
            {
                return TcpipError.BadLocalAddress;
            }
            if (owner is not null && !remote.IsMulticast && !remote.IsLimitedBroadcast)
            {
                if (nicId != 0 && nicId != owner.Id)
                {
                    return TcpipError.BadLocalAddress;
                }
                nicId = owner.Id;
            }
        }

        var localNic = FindNicWithAddress(remote);
        if (localNic is not null && localNic.Enabled && (nicId == 0 || nicId == localNic.Id))
        {
            route = new Route(localNic, ip, haveLocal ? local : remote, remote, remote, isLocal: true);
            return TcpipError.None;
        }

        if ((remote.IsMulticast || remote.IsLimitedBroadcast || remote.IsLinkLocalUnicast) && nicId != 0)
        {
            if (!TryGetNic(nicId, out var nic) || !nic.Enabled)
            {
                return TcpipError.UnknownNicId;
            }
            var src = haveLocal ? local : ip.SelectSourceAddress(nic, remote);
            if (src.IsEmpty)
            {
                return TcpipError.NetworkUnreachable;
            }
            route = new Route(nic, ip, src, remote, remote, isLocal: false);
            return TcpipError.None;
        }

        foreach (var r in Routes.Match(remote, nicId))
        {
            if (!TryGetNic(r.NicId, out var nic) || !nic.Enabled)
            {
                continue;
            }
            var src = haveLocal ? local : ip.SelectSourceAddress(nic, remote);
            if (src.IsEmpty)
            {
                continue;
            }
            // Multicast and limited broadcast leave by the route's NIC but go to their own link address,
            // never to the gateway's.
            var nextHop = r.IsOnLink || remote.IsMulticast || remote.IsLimitedBroadcast ? remote : r.Gateway;
            route = new Route(nic, ip, src, remote, nextHop, isLocal: false);
            return TcpipError.None;
        }
        return TcpipError.NetworkUnreachable;
    }

    /// <summary>
    /// Hands a packet from an IP protocol to its transport: the network header is consumed and
    /// <see cref="PacketBuffer.TransportProtocol"/>, <see cref="PacketBuffer.SourceAddress"/> and
    /// <see cref="PacketBuffer.DestinationAddress"/> are set. Sends the ICMP port unreachable where the
    /// transport asks for one.
    /// </summary>
    public TransportDelivery DeliverTransportPacket(Nic nic, PacketBuffer packet)
    {
        var transport = _transportProtocols[packet.TransportProtocol];
        if (transport is null)
        {
            Stats.DroppedUnknownTransportProtocol.Increment();
            return TransportDelivery.UnknownProtocol;
        }
        if (!transport.TryParsePorts(packet, out ushort sourcePort, out ushort destinationPort))
        {
            Stats.DroppedMalformedTransportHeader.Increment();
            return TransportDelivery.Dropped;
        }
        var id = new TransportEndpointId(destinationPort, packet.DestinationAddress, sourcePort, packet.SourceAddress);
        var destination = packet.DestinationAddress;
        if (destination.IsMulticast || nic.IsBroadcast(destination))
        {
            if (Demuxer.DeliverToAll(nic, transport.Number, packet, id) == 0)
            {
                Stats.DroppedNoEndpoint.Increment();
            }
            return TransportDelivery.Delivered;
        }
        if (Demuxer.Deliver(nic, transport.Number, packet, id))
        {
            return TransportDelivery.Delivered;
        }
        if (transport.HandleUnmatched(nic, packet, id))
        {
            Stats.DroppedNoEndpoint.Increment();
            GetIPProtocol(destination)?.SendIcmpError(nic, packet, IcmpErrorKind.PortUnreachable);
        }
        return TransportDelivery.Unmatched;
    }

    /// <summary>Reports an error (from ICMP) to the transport endpoint it concerns.</summary>
    public bool DeliverTransportError(byte transportProtocol, in TransportEndpointId id, TransportError error) =>
        Demuxer.DeliverError(transportProtocol, id, error);

    /// <summary>
    /// Loops a packet this host sent to one of its own addresses back in (network header in place): it is
    /// copied and delivered on the loopback thread. The caller keeps ownership of <paramref name="packet"/>.
    /// </summary>
    public TcpipError DeliverLocal(Nic nic, PacketBuffer packet)
    {
        if (packet.Size > ChunkPool.MaxChunkSize)
        {
            return TcpipError.MessageTooLong;
        }
        // An IP packet (at most 65,535 bytes) fits one chunk, so the copy's data is contiguous.
        var copy = PacketBuffer.Rent(0, packet.Size);
        copy.TryGetContiguousData(out var bytes);
        packet.CopyTo(bytes);
        copy.NetworkProtocol = packet.NetworkProtocol;
        if (!_loopback.Enqueue(nic, copy))
        {
            copy.Release();
            return TcpipError.NoBufferSpace;
        }
        Stats.LoopbackPackets.Increment();
        return TcpipError.None;
    }

    /// <summary>Removes every NIC (detaching its link endpoint) and stops the timers.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        foreach (var nic in _nics)
        {
            RemoveNic(nic.Id);
        }
        _loopback.Dispose();
        Timers.Dispose();
    }

    /// <summary>A NIC, an address or an address's state changed: routes found before may no longer be the answer.</summary>
    internal void OnInterfacesChanged() => Interlocked.Increment(ref _interfaceGeneration);

    internal void ReportFault(Nic nic, Exception exception)
    {
        Stats.HandlerFaults.Increment();
        HandlerFault?.Invoke(nic, exception);
    }

    private void SetNicEnabled(Nic nic, bool enabled)
    {
        if (nic.Enabled == enabled)
        {
            return;
        }
        nic.SetEnabled(enabled);
        OnInterfacesChanged();
        foreach (var p in ProtocolsSnapshot())
        {
            p.OnNicEnabledChanged(nic, enabled);
        }
    }

    private INetworkProtocol[] ProtocolsSnapshot()
    {
        lock (_gate)
        {
            return _networkProtocols.Values.ToArray();
        }
    }
}
