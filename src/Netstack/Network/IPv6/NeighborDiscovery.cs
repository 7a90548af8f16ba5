using System.Collections.Concurrent;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Stack.Neighbors;

namespace Netstack.Network.IPv6;

/// <summary>
/// Neighbour discovery (RFC 4861) and address autoconfiguration (RFC 4862) for every NIC: the NDP half of
/// the neighbour cache (solicitations out, solicitations and advertisements in, with every validity check
/// of section 7.1), answers for this host's addresses, link-local addresses, duplicate address detection,
/// and router advertisements. Redirects are validated and ignored.
/// </summary>
internal sealed class NeighborDiscovery : ILinkAddressResolver
{
    // RFC 4861 section 7.1: NDP messages are only accepted with hop limit 255 (they cannot come from off-link).
    private const byte NdpHopLimit = 255;

    private readonly Ipv6Protocol _ip;
    private readonly Icmpv6Stats _stats;
    private readonly ConcurrentDictionary<int, NdpInterface> _interfaces = new();

    public NeighborDiscovery(Ipv6Protocol ip)
    {
        _ip = ip;
        _stats = ip.IcmpStats;
    }

    /// <summary>The MTU advertised by routers on <paramref name="nic"/> (0: none).</summary>
    public int AdvertisedMtu(Nic nic) => _interfaces.TryGetValue(nic.Id, out var s) ? s.Routers.AdvertisedMtu : 0;

    /// <summary>Default routers learned on <paramref name="nic"/>.</summary>
    public Address[] DefaultRouters(Nic nic) => _interfaces.TryGetValue(nic.Id, out var s) ? s.Routers.Routers : [];

    public void OnNicCreated(Nic nic)
    {
        _interfaces[nic.Id] = new NdpInterface(this, _ip, nic);
        if (nic.ResolutionRequired)
        {
            nic.SetNeighborCache(NetworkProtocolNumber.IPv6, new NeighborCache(nic, this));
        }
        nic.JoinGroup(Address.AllNodesV6);
    }

    public void OnNicEnabledChanged(Nic nic, bool enabled)
    {
        if (!_interfaces.TryGetValue(nic.Id, out var state))
        {
            return;
        }
        if (!enabled)
        {
            // RFC 4862 section 5.4: addresses are checked again when the interface comes back.
            state.Dad.CancelAll();
            state.Routers.StopSolicitation(rearm: true);
            if (DadApplies(nic))
            {
                foreach (var a in nic.Addresses)
                {
                    if (a.Address.IsV6 && a.AcceptsTraffic)
                    {
                        a.State = AddressState.Tentative;
                    }
                }
            }
            return;
        }
        var linkLocal = EnsureLinkLocal(nic);
        foreach (var a in nic.Addresses)
        {
            if (a.Address.IsV6 && a.State == AddressState.Tentative)
            {
                state.Dad.Start(a);
            }
        }
        if (linkLocal is { AcceptsTraffic: true })
        {
            state.Routers.StartSolicitation();
        }
    }

    public void OnNicRemoved(Nic nic)
    {
        if (_interfaces.TryRemove(nic.Id, out var state))
        {
            state.Dad.CancelAll();
            state.Routers.Remove();
        }
        nic.LeaveGroup(Address.AllNodesV6);
    }

    public void OnAddressAdding(Nic nic, NicAddress address)
    {
        nic.JoinGroup(Ipv6Address.SolicitedNode(address.Address));
        if (!DadApplies(nic))
        {
            return;
        }
        address.State = AddressState.Tentative;
        if (nic.Enabled && _interfaces.TryGetValue(nic.Id, out var state))
        {
            state.Dad.Start(address);
        }
    }

    public void OnAddressRemoved(Nic nic, NicAddress address)
    {
        nic.LeaveGroup(Ipv6Address.SolicitedNode(address.Address));
        if (_interfaces.TryGetValue(nic.Id, out var state))
        {
            state.Dad.Cancel(address.Address);
            state.Routers.OnAddressRemoved(address.Address);
        }
    }

    /// <summary>DAD found no other node using <paramref name="address"/>: it is assigned (or deprecated, for a SLAAC address past its preferred lifetime).</summary>
    public void OnDadSucceeded(Nic nic, NicAddress address)
    {
        if (address.State != AddressState.Tentative || !_interfaces.TryGetValue(nic.Id, out var state))
        {
            return;
        }
        address.State = address.Kind == AddressKind.Autoconfigured && state.Routers.IsDeprecated(address.Address)
            ? AddressState.Deprecated
            : AddressState.Assigned;
        _stats.DadSucceeded.Increment();
        if (address.Kind == AddressKind.LinkLocal)
        {
            state.Routers.StartSolicitation();
        }
    }

    /// <inheritdoc/>
    public void SendSolicitation(Nic nic, Address target, Address localAddress, LinkAddress remoteLinkAddress)
    {
        // RFC 4861 section 7.2.2: the source of the packet that prompted it, if still ours, else any of ours.
        var source = !localAddress.IsEmpty && nic.HasAddress(localAddress) ? localAddress : _ip.SelectSourceAddress(nic, target);
        if (source.IsEmpty)
        {
            _stats.DroppedNdpNoSource.Increment();
            return;
        }
        bool unicast = !remoteLinkAddress.IsEmpty;
        var mac = nic.LinkAddress;
        int length = NdpNeighborSolicitation.Size + (mac.IsEmpty ? 0 : NdpOption.LinkLayerAddressSize);
        var packet = NewMessage(nic, length, out var message);
        NdpNeighborSolicitation.Encode(message, target);
        if (!mac.IsEmpty)
        {
            NdpOption.EncodeLinkLayerAddress(message[NdpNeighborSolicitation.Size..], NdpOptionType.SourceLinkLayerAddress, mac);
        }
        Transmit(nic, packet, source, unicast ? target : Ipv6Address.SolicitedNode(target), remoteLinkAddress);
        _stats.NeighborSolicitationsSent.Increment();
    }

    /// <summary>Sends a DAD solicitation for <paramref name="target"/>: from ::, to its solicited-node group, with a nonce and no link-layer address.</summary>
    public void SendDadSolicitation(Nic nic, Address target, ulong nonce)
    {
        var packet = NewMessage(nic, NdpNeighborSolicitation.Size + NdpOption.NonceSize, out var message);
        NdpNeighborSolicitation.Encode(message, target);
        NdpOption.EncodeNonce(message[NdpNeighborSolicitation.Size..], nonce);
        Transmit(nic, packet, Address.AnyV6, Ipv6Address.SolicitedNode(target), default);
        _stats.NeighborSolicitationsSent.Increment();
    }

    /// <summary>Sends a router solicitation to all routers, from the link-local address (with our link address) or from ::.</summary>
    public void SendRouterSolicitation(Nic nic)
    {
        var source = Address.AnyV6;
        foreach (var a in nic.Addresses)
        {
            if (a.Kind == AddressKind.LinkLocal && a.AcceptsTraffic)
            {
                source = a.Address;
                break;
            }
        }
        var mac = nic.LinkAddress;
        bool withLinkAddress = !source.IsUnspecified && !mac.IsEmpty;
        var packet = NewMessage(nic, NdpRouterSolicitation.Size + (withLinkAddress ? NdpOption.LinkLayerAddressSize : 0), out var message);
        NdpRouterSolicitation.Encode(message);
        if (withLinkAddress)
        {
            NdpOption.EncodeLinkLayerAddress(message[NdpRouterSolicitation.Size..], NdpOptionType.SourceLinkLayerAddress, mac);
        }
        Transmit(nic, packet, source, Address.AllRoutersV6, default);
        _stats.RouterSolicitationsSent.Increment();
    }

    /// <summary>Handles an NDP message (IPv6 header consumed, checksum already verified).</summary>
    public void HandleMessage(Nic nic, PacketBuffer packet, byte type)
    {
        if (type == Icmpv6Type.RouterSolicitation)
        {
            // RFC 4861 section 6.2.6: only routers answer these.
            _stats.IgnoredRouterSolicitations.Increment();
            return;
        }
        Ipv6Header.TryParse(packet.NetworkHeader, out var ip);
        if (ip.HopLimit != NdpHopLimit)
        {
            _stats.DroppedNdpHopLimit.Increment();
            return;
        }
        packet.TryConsumeHeader(HeaderKind.Transport, packet.DataSize, out var message);
        if (message[1] != 0)
        {
            _stats.DroppedNdpBadCode.Increment();
            return;
        }
        if (!_interfaces.TryGetValue(nic.Id, out var state))
        {
            return;
        }
        switch (type)
        {
            case Icmpv6Type.NeighborSolicitation:
                HandleSolicitation(state, packet, message);
                break;
            case Icmpv6Type.NeighborAdvertisement:
                HandleAdvertisement(state, packet, message);
                break;
            case Icmpv6Type.RouterAdvertisement:
                HandleRouterAdvertisement(state, packet, message);
                break;
            default:
                // Redirects would change routes behind the user's back; validated and counted only.
                if (!packet.SourceAddress.IsLinkLocalUnicast)
                {
                    _stats.DroppedNdpRouterNotLinkLocal.Increment();
                    return;
                }
                _stats.IgnoredRedirects.Increment();
                break;
        }
    }

    private void HandleSolicitation(NdpInterface state, PacketBuffer packet, Span<byte> message)
    {
        var nic = state.Nic;
        if (!NdpNeighborSolicitation.TryParse(message, out var ns))
        {
            _stats.DroppedTooShort.Increment();
            return;
        }
        var target = ns.Target;
        if (target.IsMulticast)
        {
            _stats.DroppedNdpMulticastTarget.Increment();
            return;
        }
        LinkAddress sourceLinkAddress = default;
        ulong nonce = 0;
        var reader = new NdpOptionReader(ns.Options);
        while (reader.TryRead(out var option))
        {
            if (option.Type == NdpOptionType.SourceLinkLayerAddress)
            {
                sourceLinkAddress = option.LinkAddress;
            }
            else if (option.Type == NdpOptionType.Nonce)
            {
                nonce = option.Nonce;
            }
        }
        if (reader.Malformed)
        {
            _stats.DroppedNdpBadOption.Increment();
            return;
        }
        var source = packet.SourceAddress;
        bool dad = source.IsUnspecified;
        if (dad && (!Ipv6Address.IsSolicitedNode(packet.DestinationAddress) || !sourceLinkAddress.IsEmpty))
        {
            _stats.DroppedNdpBadDadSolicitation.Increment();
            return;
        }
        _stats.NeighborSolicitationsReceived.Increment();
        var entry = nic.FindAddress(target) ?? state.Dad.Find(target);
        if (entry is null)
        {
            _stats.DroppedNdpNotForUs.Increment();
            return;
        }
        if (dad)
        {
            if (entry.State == AddressState.Tentative)
            {
                // RFC 4862 section 5.4.3: another node is checking the same tentative address (unless it is our own, looped back).
                if (!state.Dad.IsOwnSolicitation(target, nonce))
                {
                    MarkDuplicate(state, entry);
                }
            }
            else if (entry.AcceptsTraffic)
            {
                // RFC 4861 section 7.2.4: defend the address, to all nodes, unsolicited.
                SendAdvertisement(nic, target, Address.AllNodesV6, solicited: false, default);
            }
            return;
        }
        if (!entry.AcceptsTraffic)
        {
            // RFC 4862 section 5.4.3: a tentative address is not answered for.
            return;
        }
        if (!sourceLinkAddress.IsEmpty)
        {
            nic.GetNeighborCache(NetworkProtocolNumber.IPv6)?.HandleProbe(source, sourceLinkAddress);
        }
        SendAdvertisement(nic, target, source, solicited: true, sourceLinkAddress);
    }

    private void HandleAdvertisement(NdpInterface state, PacketBuffer packet, Span<byte> message)
    {
        var nic = state.Nic;
        if (!NdpNeighborAdvertisement.TryParse(message, out var na))
        {
            _stats.DroppedTooShort.Increment();
            return;
        }
        var target = na.Target;
        if (target.IsMulticast)
        {
            _stats.DroppedNdpMulticastTarget.Increment();
            return;
        }
        if (na.Solicited && packet.DestinationAddress.IsMulticast)
        {
            _stats.DroppedNdpSolicitedToMulticast.Increment();
            return;
        }
        if (!TryReadLinkAddressOption(na.Options, NdpOptionType.TargetLinkLayerAddress, out var targetLinkAddress))
        {
            _stats.DroppedNdpBadOption.Increment();
            return;
        }
        _stats.NeighborAdvertisementsReceived.Increment();
        var entry = nic.FindAddress(target) ?? state.Dad.Find(target);
        if (entry is not null)
        {
            if (entry.State == AddressState.Tentative)
            {
                // RFC 4862 section 5.4.4: another node has it.
                MarkDuplicate(state, entry);
            }
            else if (entry.AcceptsTraffic)
            {
                _stats.AdvertisementsForOurAddress.Increment();
            }
            return;
        }
        nic.GetNeighborCache(NetworkProtocolNumber.IPv6)?.HandleConfirmation(target, targetLinkAddress,
            new NeighborConfirmation(na.Solicited, na.Override, na.IsRouter));
        if (!na.IsRouter)
        {
            state.Routers.OnNoLongerRouter(target);
        }
    }

    private void HandleRouterAdvertisement(NdpInterface state, PacketBuffer packet, Span<byte> message)
    {
        var router = packet.SourceAddress;
        // RFC 4861 section 6.1.2: routers speak from their link-local address.
        if (!router.IsLinkLocalUnicast)
        {
            _stats.DroppedNdpRouterNotLinkLocal.Increment();
            return;
        }
        if (!NdpRouterAdvertisement.TryParse(message, out var ra))
        {
            _stats.DroppedTooShort.Increment();
            return;
        }
        if (!TryReadLinkAddressOption(ra.Options, NdpOptionType.SourceLinkLayerAddress, out var sourceLinkAddress))
        {
            _stats.DroppedNdpBadOption.Increment();
            return;
        }
        _stats.RouterAdvertisementsReceived.Increment();
        if (!_ip.Options.HandleRouterAdvertisements)
        {
            return;
        }
        if (!sourceLinkAddress.IsEmpty)
        {
            // RFC 4861 section 6.3.4: record (or refresh) the router's link address.
            state.Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)?.HandleProbe(router, sourceLinkAddress);
        }
        state.Routers.HandleAdvertisement(router, ra);
    }

    private void MarkDuplicate(NdpInterface state, NicAddress entry)
    {
        state.Dad.Cancel(entry.Address);
        if (entry.State == AddressState.Tentative)
        {
            entry.State = AddressState.Duplicate;
            _stats.DadDuplicates.Increment();
        }
    }

    private void SendAdvertisement(Nic nic, Address target, Address destination, bool solicited, LinkAddress destinationLinkAddress)
    {
        var mac = nic.LinkAddress;
        var packet = NewMessage(nic, NdpNeighborAdvertisement.Size + (mac.IsEmpty ? 0 : NdpOption.LinkLayerAddressSize), out var message);
        // Override: this host's addresses are not anycast (RFC 4861 section 7.2.4).
        NdpNeighborAdvertisement.Encode(message, target, router: false, solicited, @override: true);
        if (!mac.IsEmpty)
        {
            NdpOption.EncodeLinkLayerAddress(message[NdpNeighborAdvertisement.Size..], NdpOptionType.TargetLinkLayerAddress, mac);
        }
        Transmit(nic, packet, target, destination, destinationLinkAddress);
        _stats.NeighborAdvertisementsSent.Increment();
    }

    private bool DadApplies(Nic nic) => _ip.Options.DupAddrDetectTransmits > 0 && nic.ResolutionRequired;

    // RFC 4862 section 5.3: on links with a hardware address, fe80::/64 + modified EUI-64.
    private NicAddress? EnsureLinkLocal(Nic nic)
    {
        foreach (var a in nic.Addresses)
        {
            if (a.Kind == AddressKind.LinkLocal && a.Address.IsV6)
            {
                return a;
            }
        }
        if (!_ip.Options.GenerateLinkLocalAddress || !nic.ResolutionRequired || nic.LinkAddress.IsEmpty)
        {
            return null;
        }
        var address = Ipv6Address.LinkLocal(nic.LinkAddress);
        if (nic.FindAddress(address) is { } existing)
        {
            return existing;
        }
        return _ip.Stack.AddAddress(nic.Id, new AddressWithPrefix(address, 64), AddressKind.LinkLocal);
    }

    // The link-layer address option of `type` (the last one wins; empty when none); false when the options are malformed.
    private static bool TryReadLinkAddressOption(ReadOnlySpan<byte> options, byte type, out LinkAddress address)
    {
        address = default;
        var reader = new NdpOptionReader(options);
        while (reader.TryRead(out var option))
        {
            if (option.Type == type)
            {
                address = option.LinkAddress;
            }
        }
        return !reader.Malformed;
    }

    private static PacketBuffer NewMessage(Nic nic, int length, out Span<byte> message)
    {
        var packet = PacketBuffer.Rent(nic.Link.MaxHeaderLength + Ipv6Header.Size, length);
        packet.TryGetContiguousData(out message);
        return packet;
    }

    // Checksums the message, adds the IPv6 header (hop limit 255) and sends it; releases the packet.
    private void Transmit(Nic nic, PacketBuffer packet, Address source, Address destination, LinkAddress destinationLinkAddress)
    {
        try
        {
            packet.TryGetContiguousData(out var message);
            Icmpv6Header.TryParse(message, out var icmp);
            icmp.Checksum = Icmpv6Header.ComputeChecksum(source, destination, message);
            Ipv6Header.Encode(packet.PushHeader(HeaderKind.Network, Ipv6Header.Size), message.Length, TransportProtocolNumber.Icmpv6,
                NdpHopLimit, source, destination);
            packet.NetworkProtocol = NetworkProtocolNumber.IPv6;
            var span = new ReadOnlySpan<PacketBuffer>(in packet);
            var result = destination.IsMulticast || destinationLinkAddress.IsEmpty
                ? nic.WritePackets(destination, NetworkProtocolNumber.IPv6, source, span)
                : nic.WritePacketsTo(destinationLinkAddress, NetworkProtocolNumber.IPv6, span);
            _ip.Stats.PacketsSent.Add(result.Written);
            if (!result.Ok)
            {
                _ip.Stats.SendErrors.Increment();
            }
        }
        finally
        {
            packet.Release();
        }
    }
}
