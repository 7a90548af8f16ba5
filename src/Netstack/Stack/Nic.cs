using Netstack.Buffers;
using Netstack.Stack.Neighbors;

namespace Netstack.Stack;

/// <summary>
/// A network interface of a <see cref="NetworkStack"/>: one link endpoint, its addresses, multicast
/// memberships and neighbour caches. It is the endpoint's <see cref="INetworkDispatcher"/>: inbound packets
/// go from here to the network protocol named by their EtherType.
/// </summary>
public sealed class Nic : INetworkDispatcher
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Address, int> _groups = new();
    private volatile NicAddress[] _addresses = [];
    private volatile bool _enabled;
    private NeighborCache? _arpCache;
    private NeighborCache? _ndpCache;

    internal Nic(NetworkStack stack, int id, ILinkEndpoint link, NicOptions options)
    {
        Stack = stack;
        Id = id;
        Link = link;
        Name = options.Name ?? $"nic{id}";
        Stats = new NicStats(Name);
    }

    /// <summary>The NIC's id in its stack.</summary>
    public int Id { get; }

    /// <summary>The NIC's name.</summary>
    public string Name { get; }

    /// <summary>The stack this NIC belongs to.</summary>
    public NetworkStack Stack { get; }

    /// <summary>The link endpoint.</summary>
    public ILinkEndpoint Link { get; }

    /// <summary>The link's address.</summary>
    public LinkAddress LinkAddress => Link.LinkAddress;

    /// <summary>The link MTU.</summary>
    public int Mtu => Link.Mtu;

    /// <summary>True when the link needs neighbour resolution (Ethernet).</summary>
    public bool ResolutionRequired => (Link.Capabilities & LinkCapabilities.ResolutionRequired) != 0;

    /// <summary>True while the NIC sends and receives.</summary>
    public bool Enabled => _enabled;

    /// <summary>Counters.</summary>
    public NicStats Stats { get; }

    /// <summary>The addresses currently on the NIC (a snapshot).</summary>
    public IReadOnlyList<NicAddress> Addresses => _addresses;

    /// <summary>The multicast groups joined (a snapshot).</summary>
    public IReadOnlyList<Address> Groups
    {
        get
        {
            lock (_gate)
            {
                return _groups.Keys.ToArray();
            }
        }
    }

    /// <summary>The neighbour cache for <paramref name="networkProtocol"/> (ARP for IPv4, NDP for IPv6), if the link needs one.</summary>
    public NeighborCache? GetNeighborCache(ushort networkProtocol) => networkProtocol switch
    {
        NetworkProtocolNumber.IPv4 => _arpCache,
        NetworkProtocolNumber.IPv6 => _ndpCache,
        _ => null,
    };

    /// <summary>Installs the neighbour cache for an IP protocol (done by the protocol when the NIC is created).</summary>
    public void SetNeighborCache(ushort networkProtocol, NeighborCache cache)
    {
        switch (networkProtocol)
        {
            case NetworkProtocolNumber.IPv4:
                _arpCache = cache;
                break;
            case NetworkProtocolNumber.IPv6:
                _ndpCache = cache;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(networkProtocol), networkProtocol, "IPv4 (0x0800) or IPv6 (0x86DD).");
        }
    }

    /// <summary>The NIC's entry for <paramref name="address"/>, in any state.</summary>
    public NicAddress? FindAddress(Address address)
    {
        foreach (var a in _addresses)
        {
            if (a.Address == address)
            {
                return a;
            }
        }
        return null;
    }

    /// <summary>True when <paramref name="address"/> is on the NIC and accepts traffic (not tentative or duplicate).</summary>
    public bool HasAddress(Address address)
    {
        foreach (var a in _addresses)
        {
            if (a.Address == address)
            {
                return a.AcceptsTraffic;
            }
        }
        return false;
    }

    /// <summary>
    /// True when <paramref name="address"/> is a broadcast address for this NIC: 255.255.255.255 or the
    /// directed broadcast of one of its IPv4 subnets (prefixes shorter than /31).
    /// </summary>
    public bool IsBroadcast(Address address)
    {
        if (address.IsLimitedBroadcast)
        {
            return true;
        }
        if (!address.IsV4)
        {
            return false;
        }
        foreach (var a in _addresses)
        {
            if (a.Address.IsV4 && a.AddressWithPrefix.PrefixLength < 31 && a.Subnet.BroadcastV4 == address)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when the NIC is a member of multicast <paramref name="group"/>.</summary>
    public bool IsInGroup(Address group)
    {
        lock (_gate)
        {
            return _groups.ContainsKey(group);
        }
    }

    /// <summary>Joins a multicast group (memberships are counted; each join needs a leave).</summary>
    public void JoinGroup(Address group)
    {
        if (!group.IsMulticast)
        {
            throw new ArgumentException($"{group} is not a multicast address.", nameof(group));
        }
        lock (_gate)
        {
            _groups[group] = _groups.GetValueOrDefault(group) + 1;
        }
    }

    /// <summary>Leaves a multicast group once; false if it was not joined.</summary>
    public bool LeaveGroup(Address group)
    {
        lock (_gate)
        {
            if (!_groups.TryGetValue(group, out int n))
            {
                return false;
            }
            if (n == 1)
            {
                _groups.Remove(group);
            }
            else
            {
                _groups[group] = n - 1;
            }
            return true;
        }
    }

    /// <inheritdoc/>
    public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet)
    {
        if (!_enabled)
        {
            Stats.DroppedDisabled.Increment();
            return;
        }
        Stats.PacketsReceived.Increment();
        Stats.BytesReceived.Add(packet.Size);
        packet.NicId = Id;
        packet.NetworkProtocol = protocol;
        var handler = Stack.GetNetworkProtocol(protocol);
        if (handler is null)
        {
            Stats.DroppedUnknownNetworkProtocol.Increment();
            return;
        }
        try
        {
            handler.HandlePacket(this, packet);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug in a handler must not kill the link's reader thread: drop, count, report once.
            Stats.DroppedHandlerFault.Increment();
            Stack.ReportFault(this, e);
        }
    }

    /// <summary>
    /// Sends network-layer packets (network header in place) to <paramref name="nextHop"/>: resolves the
    /// link address where the link needs it (queueing the packets while it resolves), adds the link
    /// header and writes them. The caller keeps ownership of the packets.
    /// </summary>
    public WriteResult WritePackets(Address nextHop, ushort networkProtocol, Address localAddress, ReadOnlySpan<PacketBuffer> packets)
    {
        if (!_enabled)
        {
            return new WriteResult(0, TcpipError.NetworkUnreachable);
        }
        LinkAddress remote = default;
        if (ResolutionRequired)
        {
            if (nextHop.IsMulticast)
            {
                remote = nextHop.IsV4 ? LinkAddress.FromIPv4Multicast(nextHop) : LinkAddress.FromIPv6Multicast(nextHop);
            }
            else if (IsBroadcast(nextHop))
            {
                remote = LinkAddress.Broadcast;
            }
            else
            {
                var cache = GetNeighborCache(networkProtocol);
                if (cache is null)
                {
                    return new WriteResult(0, TcpipError.HostUnreachable);
                }
                switch (cache.Resolve(nextHop, localAddress, packets, out remote))
                {
                    case NeighborResolution.Queued:
                        return new WriteResult(packets.Length, TcpipError.None);
                    case NeighborResolution.Failed:
                        Stats.ResolutionFailures.Add(packets.Length);
                        return new WriteResult(0, TcpipError.HostUnreachable);
                }
            }
        }
        return WriteToLink(packets, networkProtocol, remote);
    }

    /// <summary>Writes packets whose destination link address is already known (ARP/NDP replies, probes).</summary>
    public WriteResult WritePacketsTo(LinkAddress remote, ushort networkProtocol, ReadOnlySpan<PacketBuffer> packets) =>
        _enabled ? WriteToLink(packets, networkProtocol, remote) : new WriteResult(0, TcpipError.NetworkUnreachable);

    internal void WriteResolved(List<PacketBuffer> packets, LinkAddress remote)
    {
        if (!_enabled || packets.Count == 0)
        {
            return;
        }
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(packets);
        WriteToLink(span, span[0].NetworkProtocol, remote);
    }

    internal void SetEnabled(bool enabled) => _enabled = enabled;

    internal void AddAddressEntry(NicAddress address)
    {
        lock (_gate)
        {
            _addresses = [.. _addresses, address];
        }
    }

    internal NicAddress? RemoveAddressEntry(Address address)
    {
        lock (_gate)
        {
            var entry = Array.Find(_addresses, a => a.Address == address);
            if (entry is not null)
            {
                _addresses = Array.FindAll(_addresses, a => a.Address != address);
            }
            return entry;
        }
    }

    private WriteResult WriteToLink(ReadOnlySpan<PacketBuffer> packets, ushort networkProtocol, LinkAddress remote)
    {
        var local = Link.LinkAddress;
        long bytes = 0;
        foreach (var p in packets)
        {
            p.NetworkProtocol = networkProtocol;
            p.NicId = Id;
            p.RemoteLinkAddress = remote;
            if (p.LocalLinkAddress.IsEmpty)
            {
                p.LocalLinkAddress = local;
            }
            bytes += p.Size;
        }
        var result = Link.WritePackets(packets);
        Stats.PacketsSent.Add(result.Written);
        if (result.Written == packets.Length)
        {
            Stats.BytesSent.Add(bytes);
        }
        else
        {
            for (int i = 0; i < result.Written; i++)
            {
                Stats.BytesSent.Add(packets[i].Size - packets[i].LinkHeader.Length);
            }
            Stats.WriteErrors.Add(packets.Length - result.Written);
        }
        return result;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} (id {Id}, {(Enabled ? "up" : "down")}, mtu {Mtu}, {LinkAddress})";
}
