using System.Runtime.InteropServices;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Network.Arp;
using Netstack.Stack;

namespace Netstack.Network.IPv4;

/// <summary>
/// IPv4 (RFC 791, host requirements of RFC 1122) with ICMPv4, for a host that does not forward: validates
/// and reassembles what arrives for this NIC's addresses, broadcasts and joined groups and hands it to ICMP
/// or the transport; adds the header on send, fragmenting above the path MTU (RFC 1191).
/// </summary>
public sealed class Ipv4Protocol : IIPProtocol
{
    /// <summary>224.0.0.1, the all-systems group every IPv4 host is a member of (RFC 1112 section 4).</summary>
    public static readonly Address AllSystems = Address.V4(224, 0, 0, 1);

    [ThreadStatic]
    private static SendScratch? t_scratch;

    private readonly NetworkStack _stack;
    private readonly Ipv4Reassembler _reassembler;
    private readonly PathMtuCache _pathMtu;
    private readonly PacketIdGenerator _ids = new();
    private readonly Icmpv4Handler _icmp;

    /// <summary>Creates the protocol for <paramref name="stack"/> (registered through <see cref="StackOptions.NetworkProtocols"/>).</summary>
    public Ipv4Protocol(NetworkStack stack, Ipv4ProtocolOptions? options = null)
    {
        _stack = stack ?? throw new ArgumentNullException(nameof(stack));
        Options = options ?? new Ipv4ProtocolOptions();
        Options.Validate();
        _pathMtu = new PathMtuCache(stack.Timers, Ipv4Header.MinimumMtu, Options.PathMtuExpiry, Options.MaxPathMtuEntries);
        _reassembler = new Ipv4Reassembler(this, stack.Timers);
        _icmp = new Icmpv4Handler(stack, this);
    }

    /// <inheritdoc/>
    public ushort Number => NetworkProtocolNumber.IPv4;

    /// <inheritdoc/>
    public int AddressLength => 4;

    /// <inheritdoc/>
    /// <remarks>This host sends no options: its header is always 20 bytes.</remarks>
    public int MaxHeaderLength => Ipv4Header.MinimumSize;

    /// <summary>The options the protocol runs with.</summary>
    public Ipv4ProtocolOptions Options { get; }

    /// <summary>IPv4 counters.</summary>
    public Ipv4Stats Stats { get; } = new();

    /// <summary>ICMPv4 counters.</summary>
    public Icmpv4Stats IcmpStats { get; } = new();

    /// <summary>Datagrams waiting for fragments.</summary>
    public int PendingReassemblies => _reassembler.Count;

    /// <summary>Pooled memory pinned by fragments waiting for reassembly, in bytes.</summary>
    public long ReassemblyMemory => _reassembler.Memory;

    /// <summary>Destinations with a path MTU learned from ICMP.</summary>
    public int PathMtuEntries => _pathMtu.Count;

    /// <inheritdoc/>
    public void HandlePacket(Nic nic, PacketBuffer packet)
    {
        Stats.PacketsReceived.Increment();
        if (packet.PacketType == PacketType.OtherHost)
        {
            Stats.DroppedOtherHost.Increment();
            return;
        }
        int size = packet.DataSize;
        if (size < Ipv4Header.MinimumSize || !packet.TryPeekData(Math.Min(size, Ipv4Header.MaximumSize), out var bytes))
        {
            Stats.DroppedTruncated.Increment();
            return;
        }
        switch (Ipv4Header.Parse(bytes, size, out var ip))
        {
            case Ipv4ParseStatus.Ok:
                break;
            case Ipv4ParseStatus.BadVersion:
                Stats.DroppedBadVersion.Increment();
                return;
            case Ipv4ParseStatus.BadHeaderLength:
                Stats.DroppedBadHeaderLength.Increment();
                return;
            case Ipv4ParseStatus.BadTotalLength:
                Stats.DroppedBadTotalLength.Increment();
                return;
            default:
                Stats.DroppedTruncated.Increment();
                return;
        }
        if (!ip.IsChecksumValid)
        {
            Stats.DroppedBadChecksum.Increment();
            return;
        }
        var source = ip.Source;
        var destination = ip.Destination;
        if (IsMartianSource(nic, source, destination))
        {
            Stats.DroppedBadSource.Increment();
            return;
        }
        if (!IsForUs(nic, destination))
        {
            Stats.DroppedNotForUs.Increment();
            return;
        }
        int headerLength = ip.HeaderLength;
        int optionError = headerLength > Ipv4Header.MinimumSize ? CheckOptions(ip.Options) : -1;
        if (optionError == SourceRouted)
        {
            Stats.DroppedSourceRoute.Increment();
            return;
        }
        ushort identification = ip.Identification;
        ushort flagsAndOffset = ip.FlagsAndOffset;
        byte protocol = ip.Protocol;

        packet.TrimData(ip.TotalLength); // drop link-layer padding
        packet.TryConsumeHeader(HeaderKind.Network, headerLength, out _);
        packet.TransportProtocol = protocol;
        packet.SourceAddress = source;
        packet.DestinationAddress = destination;
        if (optionError >= 0)
        {
            Stats.DroppedBadOptions.Increment();
            // RFC 1122 3.2.2.5: parameter problem, the pointer naming the offending byte (as Linux does).
            _icmp.SendError(nic, packet, Icmpv4Type.ParameterProblem, Icmpv4Code.PointerIndicatesError,
                (uint)(Ipv4Header.MinimumSize + optionError) << 24);
            return;
        }

        if ((flagsAndOffset & (Ipv4Header.MoreFragmentsFlag | Ipv4Header.FragmentOffsetMask)) != 0)
        {
            var whole = _reassembler.Add(nic, packet, identification, flagsAndOffset);
            if (whole is null)
            {
                return;
            }
            try
            {
                Deliver(nic, whole);
            }
            finally
            {
                whole.Release();
            }
            return;
        }
        Deliver(nic, packet);
    }

    /// <inheritdoc/>
    public WriteResult WritePackets(Route route, ReadOnlySpan<PacketBuffer> packets, NetworkHeaderParams parameters)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (packets.IsEmpty)
        {
            return new WriteResult(0, TcpipError.None);
        }
        byte ttl = parameters.Ttl != 0 ? parameters.Ttl : _stack.Options.DefaultTtl;
        if (route.IsLocal)
        {
            return WriteLocal(route, packets, parameters, ttl);
        }
        int mtu = route.Mtu;
        int count = packets.Length;
        var error = TcpipError.None;
        bool fragment = false;
        for (int i = 0; i < packets.Length; i++)
        {
            var p = packets[i];
            int total = p.Size + Ipv4Header.MinimumSize;
            bool offloaded = p.Gso.Type != GsoType.None;
            if (total > mtu && !offloaded && !parameters.DontFragment && total <= Ipv4Header.MaximumTotalLength)
            {
                fragment = true;
            }
            else if ((total > mtu && !offloaded) || total > Ipv4Header.MaximumTotalLength)
            {
                // RFC 1191: with DF set the sender learns the path MTU from this error instead.
                Stats.SendTooBig.Increment();
                count = i;
                error = TcpipError.MessageTooLong;
                break;
            }
        }
        if (count == 0)
        {
            return new WriteResult(0, error);
        }
        var result = fragment
            ? WriteWithFragments(route, packets[..count], parameters, ttl, mtu)
            : WriteWhole(route, packets[..count], parameters, ttl);
        return result.Written == count && result.Ok ? new WriteResult(count, error) : result;
    }

    /// <inheritdoc/>
    public int PathMtu(Nic nic, Address destination) => _pathMtu.Get(destination, nic.Mtu);

    /// <inheritdoc/>
    /// <remarks>The NIC's assigned IPv4 address in the destination's subnet, else its first assigned IPv4 address.</remarks>
    public Address SelectSourceAddress(Nic nic, Address destination)
    {
        Address first = default;
        foreach (var a in nic.Addresses)
        {
            if (!a.Address.IsV4 || !a.AcceptsTraffic)
            {
                continue;
            }
            if (a.Subnet.Contains(destination))
            {
                return a.Address;
            }
            if (first.IsEmpty)
            {
                first = a.Address;
            }
        }
        return first;
    }

    /// <inheritdoc/>
    public void SendIcmpError(Nic nic, PacketBuffer offending, IcmpErrorKind kind)
    {
        ArgumentNullException.ThrowIfNull(nic);
        ArgumentNullException.ThrowIfNull(offending);
        var (type, code) = kind switch
        {
            IcmpErrorKind.PortUnreachable => (Icmpv4Type.DestinationUnreachable, Icmpv4Code.PortUnreachable),
            IcmpErrorKind.ProtocolUnreachable => (Icmpv4Type.DestinationUnreachable, Icmpv4Code.ProtocolUnreachable),
            IcmpErrorKind.HostUnreachable => (Icmpv4Type.DestinationUnreachable, Icmpv4Code.HostUnreachable),
            IcmpErrorKind.NetworkUnreachable => (Icmpv4Type.DestinationUnreachable, Icmpv4Code.NetUnreachable),
            IcmpErrorKind.ReassemblyTimeout => (Icmpv4Type.TimeExceeded, Icmpv4Code.ReassemblyTimeout),
            IcmpErrorKind.TtlExceeded => (Icmpv4Type.TimeExceeded, Icmpv4Code.TtlExceeded),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "An IcmpErrorKind value."),
        };
        _icmp.SendError(nic, offending, type, code, 0);
    }

    /// <inheritdoc/>
    public void OnNicCreated(Nic nic)
    {
    }

    /// <inheritdoc/>
    public void OnNicEnabledChanged(Nic nic, bool enabled)
    {
    }

    /// <inheritdoc/>
    public void OnNicRemoved(Nic nic) => _reassembler.RemoveNic(nic);

    /// <inheritdoc/>
    /// <remarks>On a link with ARP, the new address is announced with a gratuitous ARP (as Linux does).</remarks>
    public void OnAddressAdding(Nic nic, NicAddress address)
    {
        if (nic.Enabled && nic.ResolutionRequired && _stack.GetNetworkProtocol(NetworkProtocolNumber.Arp) is ArpProtocol arp)
        {
            arp.Announce(nic, address.Address);
        }
    }

    /// <inheritdoc/>
    public void OnAddressRemoved(Nic nic, NicAddress address)
    {
    }

    /// <summary>
    /// Lowers the path MTU towards <paramref name="destination"/> (from an ICMP fragmentation-needed message);
    /// returns the path MTU now in force.
    /// </summary>
    internal int LowerPathMtu(Nic nic, Address destination, int mtu)
    {
        if (_pathMtu.Lower(destination, mtu, nic.Mtu, out int now))
        {
            Stats.PathMtuLowered.Increment();
        }
        return now;
    }

    private const int SourceRouted = -2;

    // -1 when the options are acceptable, SourceRouted for a source route, else the offset of the bad byte.
    private static int CheckOptions(ReadOnlySpan<byte> options)
    {
        var reader = new Ipv4OptionReader(options);
        while (true)
        {
            switch (reader.Next(out byte type, out _))
            {
                case Ipv4OptionStatus.End:
                    return -1;
                case Ipv4OptionStatus.Malformed:
                    return reader.ErrorOffset;
            }
            // A host that does not forward refuses source-routed datagrams (Linux accept_source_route=0):
            // answering along the recorded route would let a spoofer see the replies.
            if (type is Ipv4OptionType.LooseSourceRoute or Ipv4OptionType.StrictSourceRoute)
            {
                return SourceRouted;
            }
        }
    }

    // RFC 1122 3.2.1.3 / RFC 1812 5.3.7: a source that names no single host is a martian.
    private static bool IsMartianSource(Nic nic, Address source, Address destination) =>
        source.IsMulticast || source.IsLimitedBroadcast || nic.IsBroadcast(source)
        || (source.IsLoopback && !destination.IsLoopback);

    private static bool IsForUs(Nic nic, Address destination)
    {
        if (nic.HasAddress(destination))
        {
            return true;
        }
        if (destination.IsMulticast)
        {
            return destination == AllSystems || nic.IsInGroup(destination);
        }
        return nic.IsBroadcast(destination);
    }

    private void Deliver(Nic nic, PacketBuffer packet)
    {
        Stats.PacketsDelivered.Increment();
        if (packet.TransportProtocol == TransportProtocolNumber.Icmpv4)
        {
            _icmp.HandlePacket(nic, packet);
            return;
        }
        if (_stack.DeliverTransportPacket(nic, packet) == TransportDelivery.UnknownProtocol)
        {
            Stats.UnknownProtocol.Increment();
            SendIcmpError(nic, packet, IcmpErrorKind.ProtocolUnreachable);
        }
    }

    private WriteResult WriteLocal(Route route, ReadOnlySpan<PacketBuffer> packets, in NetworkHeaderParams parameters, byte ttl)
    {
        ushort flags = parameters.DontFragment ? Ipv4Header.DontFragmentFlag : (ushort)0;
        for (int i = 0; i < packets.Length; i++)
        {
            var p = packets[i];
            if (p.Size + Ipv4Header.MinimumSize > Ipv4Header.MaximumTotalLength)
            {
                Stats.SendTooBig.Increment();
                return new WriteResult(i, TcpipError.MessageTooLong);
            }
            PushHeader(p, route, parameters, ttl, NextId(route, parameters), flags);
            var error = _stack.DeliverLocal(route.Nic, p);
            if (error != TcpipError.None)
            {
                Stats.SendErrors.Increment();
                return new WriteResult(i, error);
            }
            Stats.PacketsSent.Increment();
        }
        return new WriteResult(packets.Length, TcpipError.None);
    }

    // Nothing to fragment: every packet gets its header and the batch goes to the NIC in one call.
    private WriteResult WriteWhole(Route route, ReadOnlySpan<PacketBuffer> packets, in NetworkHeaderParams parameters, byte ttl)
    {
        ushort flags = parameters.DontFragment ? Ipv4Header.DontFragmentFlag : (ushort)0;
        foreach (var p in packets)
        {
            PushHeader(p, route, parameters, ttl, NextId(route, parameters), flags);
        }
        var result = route.Nic.WritePackets(route.NextHop, NetworkProtocolNumber.IPv4, route.LocalAddress, packets);
        Stats.PacketsSent.Add(result.Written);
        if (!result.Ok)
        {
            Stats.SendErrors.Add(packets.Length - result.Written);
        }
        return result;
    }

    // Some packets exceed the MTU: the batch sent is the small packets as they are and the large ones as
    // fragments, still one call to the NIC. A packet counts as written when all its fragments were.
    private WriteResult WriteWithFragments(Route route, ReadOnlySpan<PacketBuffer> packets, in NetworkHeaderParams parameters, byte ttl, int mtu)
    {
        // Taken out of the thread-static slot while in use, so a re-entrant send gets a fresh one.
        var scratch = t_scratch ?? new SendScratch();
        t_scratch = null;
        var batch = scratch.Batch;
        var ends = scratch.Ends;
        try
        {
            foreach (var p in packets)
            {
                if (p.Size + Ipv4Header.MinimumSize <= mtu || p.Gso.Type != GsoType.None)
                {
                    PushHeader(p, route, parameters, ttl, NextId(route, parameters), 0);
                    p.IncRef();
                    batch.Add(p);
                }
                else
                {
                    Fragment(p, route, parameters, ttl, mtu, batch);
                }
                ends.Add(batch.Count);
            }
            var result = route.Nic.WritePackets(route.NextHop, NetworkProtocolNumber.IPv4, route.LocalAddress, CollectionsMarshal.AsSpan(batch));
            Stats.PacketsSent.Add(result.Written);
            if (!result.Ok)
            {
                Stats.SendErrors.Add(batch.Count - result.Written);
            }
            int written = 0;
            while (written < ends.Count && ends[written] <= result.Written)
            {
                written++;
            }
            return new WriteResult(written, result.Error);
        }
        finally
        {
            foreach (var p in batch)
            {
                p.Release();
            }
            batch.Clear();
            ends.Clear();
            t_scratch = scratch;
        }
    }

    // RFC 791 section 3.2: each fragment carries a multiple of 8 bytes of the original (transport header
    // included) except the last, each with its own header.
    private void Fragment(PacketBuffer packet, Route route, in NetworkHeaderParams parameters, byte ttl, int mtu, List<PacketBuffer> output)
    {
        FragmentBuilder.FinishChecksum(packet);
        int payload = packet.Size;
        int perFragment = (mtu - Ipv4Header.MinimumSize) & ~7;
        int headroom = route.Nic.Link.MaxHeaderLength + Ipv4Header.MinimumSize;
        ushort id = NextId(route, parameters);
        for (int offset = 0; offset < payload; offset += perFragment)
        {
            int length = Math.Min(perFragment, payload - offset);
            var fragment = FragmentBuilder.Rent(packet, offset, length, headroom);
            ushort flags = (ushort)((offset / 8) | (offset + length < payload ? Ipv4Header.MoreFragmentsFlag : 0));
            PushHeader(fragment, route, parameters, ttl, id, flags);
            output.Add(fragment);
            Stats.FragmentsSent.Increment();
        }
    }

    private ushort NextId(Route route, in NetworkHeaderParams parameters) =>
        _ids.Next(route.LocalAddress, route.RemoteAddress, parameters.Protocol);

    private static void PushHeader(PacketBuffer packet, Route route, in NetworkHeaderParams parameters, byte ttl, ushort id, ushort flagsAndOffset)
    {
        int total = packet.Size + Ipv4Header.MinimumSize;
        var header = packet.PushHeader(HeaderKind.Network, Ipv4Header.MinimumSize);
        Ipv4Header.Encode(header, new Ipv4Fields
        {
            Tos = parameters.Tos,
            TotalLength = (ushort)Math.Min(total, Ipv4Header.MaximumTotalLength),
            Identification = id,
            FlagsAndOffset = flagsAndOffset,
            Ttl = ttl,
            Protocol = parameters.Protocol,
            Source = route.LocalAddress,
            Destination = route.RemoteAddress,
        });
        packet.NetworkProtocol = NetworkProtocolNumber.IPv4;
        packet.TransportProtocol = parameters.Protocol;
        packet.SourceAddress = route.LocalAddress;
        packet.DestinationAddress = route.RemoteAddress;
        if (packet.Gso.Type != GsoType.None)
        {
            packet.Gso = packet.Gso with { L3HeaderLength = Ipv4Header.MinimumSize };
        }
    }

    private sealed class SendScratch
    {
        public List<PacketBuffer> Batch { get; } = new();

        public List<int> Ends { get; } = new();
    }
}
