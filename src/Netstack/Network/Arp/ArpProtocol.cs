using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Stack.Neighbors;

namespace Netstack.Network.Arp;

/// <summary>
/// ARP (RFC 826) for IPv4 over Ethernet: answers requests for this NIC's addresses, feeds what it learns into
/// the NIC's IPv4 <see cref="NeighborCache"/> (which runs RFC 4861-style reachability, as Linux and gVisor
/// do for ARP), and sends the requests the cache asks for as its <see cref="ILinkAddressResolver"/>.
/// </summary>
public sealed class ArpProtocol : INetworkProtocol, ILinkAddressResolver
{
    private readonly NetworkStack _stack;

    /// <summary>Creates the protocol for <paramref name="stack"/> (registered through <see cref="StackOptions.NetworkProtocols"/>).</summary>
    public ArpProtocol(NetworkStack stack, ArpOptions? options = null)
    {
        _stack = stack ?? throw new ArgumentNullException(nameof(stack));
        Options = options ?? new ArpOptions();
    }

    /// <inheritdoc/>
    public ushort Number => NetworkProtocolNumber.Arp;

    /// <summary>The options the protocol runs with.</summary>
    public ArpOptions Options { get; }

    /// <summary>Counters.</summary>
    public ArpStats Stats { get; } = new();

    /// <inheritdoc/>
    public void HandlePacket(Nic nic, PacketBuffer packet)
    {
        Stats.PacketsReceived.Increment();
        if (!packet.TryPeekData(ArpPacket.Size, out var bytes) || !ArpPacket.TryParse(bytes, out var arp))
        {
            Stats.DroppedTruncated.Increment();
            return;
        }
        if (arp.HardwareType != ArpPacket.HardwareTypeEthernet || arp.HardwareAddressLength != LinkAddress.Size)
        {
            Stats.DroppedBadHardware.Increment();
            return;
        }
        if (arp.ProtocolType != NetworkProtocolNumber.IPv4 || arp.ProtocolAddressLength != 4)
        {
            Stats.DroppedBadProtocol.Increment();
            return;
        }
        ushort op = arp.Opcode;
        if (op is not (ArpPacket.OpRequest or ArpPacket.OpReply))
        {
            Stats.DroppedBadOpcode.Increment();
            return;
        }
        var senderMac = arp.SenderHardwareAddress;
        var sender = arp.SenderProtocolAddress;
        var target = arp.TargetProtocolAddress;
        if (senderMac.IsGroup || senderMac == nic.LinkAddress
            || sender.IsMulticast || sender.IsLimitedBroadcast || sender.IsLoopback || nic.IsBroadcast(sender))
        {
            Stats.DroppedBadSender.Increment();
            return;
        }
        if (nic.FindAddress(sender) is not null)
        {
            // Another machine claims our address: learn nothing from it (RFC 5227 section 2.4).
            Stats.AddressConflicts.Increment();
            return;
        }
        var cache = nic.GetNeighborCache(NetworkProtocolNumber.IPv4);
        // A sender of 0.0.0.0 is an RFC 5227 probe: answered, but there is nothing to learn.
        bool learn = !sender.IsUnspecified && cache is not null;
        if (op == ArpPacket.OpRequest)
        {
            Stats.RequestsReceived.Increment();
            if (!nic.HasAddress(target))
            {
                // RFC 826 merge: refresh an entry we already have, create none for others' conversations.
                Stats.RequestsNotForUs.Increment();
                if (learn && cache!.TryGetEntry(sender, out var entry) && entry.State != NeighborState.Static)
                {
                    cache.HandleProbe(sender, senderMac);
                }
                return;
            }
            if (learn)
            {
                cache!.HandleProbe(sender, senderMac);
            }
            SendReply(nic, target, senderMac, sender);
            return;
        }
        Stats.RepliesReceived.Increment();
        if (learn)
        {
            // A reply sent to us answers our request; a broadcast one is an announcement: it may change
            // the cached address but does not prove reachability.
            cache!.HandleConfirmation(sender, senderMac,
                new NeighborConfirmation(Solicited: packet.PacketType == PacketType.Host, Override: true));
        }
    }

    /// <inheritdoc/>
    public void SendSolicitation(Nic nic, Address target, Address localAddress, LinkAddress remoteLinkAddress)
    {
        ArgumentNullException.ThrowIfNull(nic);
        var source = !localAddress.IsEmpty && localAddress.IsV4 && nic.HasAddress(localAddress)
            ? localAddress
            : SourceFor(nic, target);
        if (source.IsEmpty)
        {
            Stats.SolicitationsWithoutSource.Increment();
            return;
        }
        var destination = remoteLinkAddress.IsEmpty ? LinkAddress.Broadcast : remoteLinkAddress;
        if (Send(nic, destination, ArpPacket.OpRequest, source, LinkAddress.Empty, target))
        {
            Stats.RequestsSent.Increment();
        }
    }

    /// <summary>
    /// Announces <paramref name="address"/> on <paramref name="nic"/> with a gratuitous ARP request (sender and
    /// target both the address, RFC 5227 section 2.3), if <see cref="ArpOptions.AnnounceAddresses"/> is on.
    /// </summary>
    public void Announce(Nic nic, Address address)
    {
        ArgumentNullException.ThrowIfNull(nic);
        if (!Options.AnnounceAddresses || !address.IsV4 || !nic.ResolutionRequired)
        {
            return;
        }
        if (Send(nic, LinkAddress.Broadcast, ArpPacket.OpRequest, address, LinkAddress.Empty, address))
        {
            Stats.AnnouncementsSent.Increment();
        }
    }

    /// <inheritdoc/>
    public void OnNicCreated(Nic nic)
    {
        if (nic.ResolutionRequired && nic.GetNeighborCache(NetworkProtocolNumber.IPv4) is null)
        {
            nic.SetNeighborCache(NetworkProtocolNumber.IPv4, new NeighborCache(nic, this));
        }
    }

    /// <inheritdoc/>
    public void OnNicEnabledChanged(Nic nic, bool enabled)
    {
        if (!enabled)
        {
            return;
        }
        foreach (var a in nic.Addresses)
        {
            if (a.Address.IsV4 && a.AcceptsTraffic)
            {
                Announce(nic, a.Address);
            }
        }
    }

    /// <inheritdoc/>
    public void OnNicRemoved(Nic nic)
    {
    }

    /// <inheritdoc/>
    public void OnAddressAdding(Nic nic, NicAddress address)
    {
    }

    /// <inheritdoc/>
    public void OnAddressRemoved(Nic nic, NicAddress address)
    {
    }

    // The NIC's address in the target's subnet, else its first IPv4 address (as IPv4 source selection).
    private Address SourceFor(Nic nic, Address target) =>
        _stack.GetIPProtocol(target)?.SelectSourceAddress(nic, target) ?? default;

    private void SendReply(Nic nic, Address ours, LinkAddress requesterMac, Address requester)
    {
        if (Send(nic, requesterMac, ArpPacket.OpReply, ours, requesterMac, requester))
        {
            Stats.RepliesSent.Increment();
        }
    }

    private bool Send(Nic nic, LinkAddress destination, ushort op, Address senderAddress, LinkAddress targetMac, Address targetAddress)
    {
        var packet = PacketBuffer.Rent(nic.Link.MaxHeaderLength, ArpPacket.Size);
        try
        {
            packet.TryGetContiguousData(out var bytes);
            ArpPacket.Encode(bytes, op, nic.LinkAddress, senderAddress, targetMac, targetAddress);
            packet.NetworkProtocol = NetworkProtocolNumber.Arp;
            if (nic.WritePacketsTo(destination, NetworkProtocolNumber.Arp, new ReadOnlySpan<PacketBuffer>(in packet)).Ok)
            {
                return true;
            }
            Stats.SendErrors.Increment();
            return false;
        }
        finally
        {
            packet.Release();
        }
    }
}
