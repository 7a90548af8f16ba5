using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Network.IPv6;

// The receive path: header validation, the extension header chain, fragments, delivery.
public sealed partial class Ipv6Protocol
{
    // RFC 8504 section 5.3 / Linux's max_{hbh,dst}_opts_cnt: more non-padding options than this is hostile.
    private const int MaxOptionsPerHeader = 8;

    // RFC 4942 section 2.1.9.5: padding exists to align to 8 bytes, so a longer run is hostile.
    private const int MaxPaddingRun = 7;

    private enum OptionsVerdict
    {
        Accept,
        Discard,
        Report,
        ReportUnlessMulticast,
        Malformed,
        BadPadding,
        TooMany,
    }

    /// <inheritdoc/>
    public void HandlePacket(Nic nic, PacketBuffer packet)
    {
        Stats.PacketsReceived.Increment();
        if (packet.PacketType is PacketType.OtherHost or PacketType.Outgoing)
        {
            Stats.DroppedNotForUs.Increment();
            return;
        }
        if (!packet.TryConsumeHeader(HeaderKind.Network, Ipv6Header.Size, out var bytes))
        {
            Stats.DroppedTooShort.Increment();
            return;
        }
        Ipv6Header.TryParse(bytes, out var ip);
        if (ip.Version != 6)
        {
            Stats.DroppedBadVersion.Increment();
            return;
        }
        int payloadLength = ip.PayloadLength;
        if (payloadLength > packet.DataSize)
        {
            Stats.DroppedBadPayloadLength.Increment();
            return;
        }
        // Link padding (Ethernet minimum frame) is not part of the packet.
        packet.TrimData(payloadLength);
        var source = ip.Source;
        var destination = ip.Destination;
        byte next = ip.NextHeader;
        if (source.IsMulticast)
        {
            Stats.DroppedMulticastSource.Increment();
            return;
        }
        if (!AddressesAllowedOnWire(nic, source, destination))
        {
            Stats.DroppedBadAddress.Increment();
            return;
        }
        if (destination.IsMulticast)
        {
            if (destination != Address.AllNodesV6 && !nic.IsInGroup(destination))
            {
                Stats.DroppedNotForUs.Increment();
                return;
            }
        }
        else
        {
            var local = nic.FindAddress(destination);
            if (local is null)
            {
                Stats.DroppedNotForUs.Increment();
                return;
            }
            if (!local.AcceptsTraffic)
            {
                // RFC 4862 section 5.4: a tentative address receives only DAD traffic, which is multicast.
                Stats.DroppedTentativeDestination.Increment();
                return;
            }
        }
        packet.SourceAddress = source;
        packet.DestinationAddress = destination;
        ProcessChain(nic, packet, next, Ipv6Header.NextHeaderOffset, 0, first: true, reassembled: false);
    }

    // RFC 4291: loopback and IPv4-mapped addresses never appear on a link; multicast of reserved (0) or
    // interface-local (1) scope never arrives from one.
    private static bool AddressesAllowedOnWire(Nic nic, Address source, Address destination)
    {
        bool loopbackLink = (nic.Link.Capabilities & LinkCapabilities.Loopback) != 0;
        if (!loopbackLink && (source.IsLoopback || destination.IsLoopback))
        {
            return false;
        }
        if (Ipv6Address.IsV4Mapped(source) || Ipv6Address.IsV4Mapped(destination) || destination.IsUnspecified)
        {
            return false;
        }
        return !destination.IsMulticast || loopbackLink || Ipv6Address.Scope(destination) > 1;
    }

    /// <summary>
    /// Walks the extension headers from <paramref name="next"/> (named by the field at
    /// <paramref name="nextFieldOffset"/>), extending the packet's network header over each one, and hands
    /// the upper layer on.
    /// </summary>
    private void ProcessChain(Nic nic, PacketBuffer packet, byte next, int nextFieldOffset, int headers, bool first, bool reassembled)
    {
        while (true)
        {
            switch (next)
            {
                case Ipv6NextHeader.HopByHop:
                case Ipv6NextHeader.DestinationOptions:
                case Ipv6NextHeader.Routing:
                {
                    if (next == Ipv6NextHeader.HopByHop && !first)
                    {
                        // RFC 8200 section 4.1: anywhere else it is an unrecognised Next Header.
                        Stats.DroppedHopByHopNotFirst.Increment();
                        SendParameterProblem(nic, packet, Icmpv6Type.CodeUnrecognizedNextHeader, nextFieldOffset);
                        return;
                    }
                    if (++headers > Options.MaxExtensionHeaders)
                    {
                        Stats.DroppedTooManyExtensionHeaders.Increment();
                        return;
                    }
                    // Read the length first: extending may move the bytes the peek pointed at.
                    int length = packet.TryPeekData(2, out var lead) ? Ipv6ExtensionHeader.DeclaredLength(lead) : 0;
                    if (length == 0 || !packet.TryExtendHeader(HeaderKind.Network, length, out var network))
                    {
                        Stats.DroppedTruncatedExtensionHeader.Increment();
                        return;
                    }
                    int start = network.Length - length;
                    Ipv6ExtensionHeader.TryParse(network[start..], out var extension);
                    if (next == Ipv6NextHeader.Routing)
                    {
                        if (extension.SegmentsLeft != 0)
                        {
                            // RFC 8200 section 4.4: this host would have to forward; point at the routing type.
                            Stats.DroppedRoutingHeader.Increment();
                            SendParameterProblem(nic, packet, Icmpv6Type.CodeErroneousHeaderField, start + 2);
                            return;
                        }
                    }
                    else if (!AcceptOptions(nic, packet, extension.Body, start + 2, next == Ipv6NextHeader.HopByHop))
                    {
                        return;
                    }
                    nextFieldOffset = start;
                    next = extension.NextHeader;
                    break;
                }
                case Ipv6NextHeader.Fragment:
                {
                    if (++headers > Options.MaxExtensionHeaders)
                    {
                        Stats.DroppedTooManyExtensionHeaders.Increment();
                        return;
                    }
                    if (!packet.TryExtendHeader(HeaderKind.Network, Ipv6FragmentHeader.Size, out var network))
                    {
                        Stats.DroppedTruncatedExtensionHeader.Increment();
                        return;
                    }
                    int start = network.Length - Ipv6FragmentHeader.Size;
                    Ipv6FragmentHeader.TryParse(network[start..], out var fragment);
                    if (fragment.IsAtomic)
                    {
                        // RFC 6946: an atomic fragment is a whole packet; it never touches reassembly state.
                        Stats.AtomicFragments.Increment();
                        nextFieldOffset = start;
                        next = fragment.NextHeader;
                        break;
                    }
                    if (reassembled)
                    {
                        Stats.DroppedNestedFragment.Increment();
                        return;
                    }
                    HandleFragment(nic, packet, fragment.NextHeader, fragment.FragmentOffset, fragment.MoreFragments,
                        fragment.Identification, start, headers);
                    return;
                }
                case Ipv6NextHeader.NoNextHeader:
                    Stats.DroppedNoNextHeader.Increment();
                    return;
                case TransportProtocolNumber.Icmpv6:
                    Stats.PacketsDelivered.Increment();
                    packet.TransportProtocol = next;
                    _icmp.HandlePacket(nic, packet);
                    return;
                default:
                    DeliverUpperLayer(nic, packet, next, nextFieldOffset);
                    return;
            }
            first = false;
        }
    }

    private void DeliverUpperLayer(Nic nic, PacketBuffer packet, byte protocol, int nextFieldOffset)
    {
        if (packet.SourceAddress.IsUnspecified)
        {
            // Only NDP may come from :: (RFC 4861); nothing could answer anything else.
            Stats.DroppedUnspecifiedSource.Increment();
            return;
        }
        packet.TransportProtocol = protocol;
        if (Stack.DeliverTransportPacket(nic, packet) == TransportDelivery.UnknownProtocol)
        {
            // RFC 8200 section 4: an unrecognised Next Header gets Parameter Problem code 1.
            Stats.DroppedUnknownNextHeader.Increment();
            SendParameterProblem(nic, packet, Icmpv6Type.CodeUnrecognizedNextHeader, nextFieldOffset);
            return;
        }
        Stats.PacketsDelivered.Increment();
    }

    // Processes a hop-by-hop or destination options area; false when the packet is dropped.
    private bool AcceptOptions(Nic nic, PacketBuffer packet, ReadOnlySpan<byte> options, int optionsOffset, bool hopByHop)
    {
        var verdict = CheckOptions(options, hopByHop, out int offending);
        switch (verdict)
        {
            case OptionsVerdict.Accept:
                return true;
            case OptionsVerdict.Malformed:
                Stats.DroppedMalformedOption.Increment();
                return false;
            case OptionsVerdict.BadPadding:
                Stats.DroppedBadPadding.Increment();
                return false;
            case OptionsVerdict.TooMany:
                Stats.DroppedTooManyOptions.Increment();
                return false;
        }
        Stats.DroppedUnknownOption.Increment();
        if (verdict == OptionsVerdict.Report || (verdict == OptionsVerdict.ReportUnlessMulticast && !packet.DestinationAddress.IsMulticast))
        {
            // RFC 8200 section 4.2: type bits 10 report even to multicast, 11 only to unicast.
            _icmp.SendError(nic, packet, Icmpv6Type.ParameterProblem, Icmpv6Type.CodeUnrecognizedOption,
                (uint)(optionsOffset + offending), allowMulticastDestination: verdict == OptionsVerdict.Report);
        }
        return false;
    }

    private static OptionsVerdict CheckOptions(ReadOnlySpan<byte> options, bool hopByHop, out int offending)
    {
        offending = 0;
        var reader = new Ipv6OptionReader(options);
        int padding = 0;
        int count = 0;
        while (reader.TryRead(out var option))
        {
            if (option.Type == Ipv6Option.Pad1)
            {
                padding++;
            }
            else if (option.Type == Ipv6Option.PadN)
            {
                padding += 2 + option.Data.Length;
                if (option.Data.ContainsAnyExcept((byte)0))
                {
                    return OptionsVerdict.BadPadding;
                }
            }
            else
            {
                padding = 0;
                if (++count > MaxOptionsPerHeader)
                {
                    return OptionsVerdict.TooMany;
                }
                if (hopByHop && option.Type == Ipv6Option.RouterAlert)
                {
                    continue;
                }
                switch (option.UnknownAction)
                {
                    case Ipv6UnknownOptionAction.Skip:
                        continue;
                    case Ipv6UnknownOptionAction.Discard:
                        return OptionsVerdict.Discard;
                    case Ipv6UnknownOptionAction.DiscardAndReport:
                        offending = option.Offset;
                        return OptionsVerdict.Report;
                    default:
                        offending = option.Offset;
                        return OptionsVerdict.ReportUnlessMulticast;
                }
            }
            if (padding > MaxPaddingRun)
            {
                return OptionsVerdict.BadPadding;
            }
        }
        return reader.Malformed ? OptionsVerdict.Malformed : OptionsVerdict.Accept;
    }

    private void HandleFragment(Nic nic, PacketBuffer packet, byte fragmentNext, int offset, bool more, uint identification,
        int fragmentHeaderStart, int headers)
    {
        Stats.FragmentsReceived.Increment();
        int length = packet.DataSize;
        if (length == 0 || (more && length % 8 != 0))
        {
            // RFC 8200 section 4.5: point at the Payload Length field (an empty fragment is just dropped).
            Stats.DroppedFragmentBadLength.Increment();
            if (length != 0)
            {
                SendParameterProblem(nic, packet, Icmpv6Type.CodeErroneousHeaderField, Ipv6Header.PayloadLengthOffset);
            }
            return;
        }
        int unfragmentableExtensions = fragmentHeaderStart - Ipv6Header.Size;
        if (unfragmentableExtensions + offset + length > ushort.MaxValue)
        {
            Stats.DroppedFragmentTooBig.Increment();
            SendParameterProblem(nic, packet, Icmpv6Type.CodeErroneousHeaderField, fragmentHeaderStart + Ipv6FragmentHeader.FragmentOffsetOffset);
            return;
        }
        if (offset == 0 && !FirstFragmentHasWholeChain(packet, fragmentNext))
        {
            // RFC 7112 section 5: the first fragment must carry every header up to the upper layer.
            Stats.DroppedFragmentIncompleteChain.Increment();
            SendParameterProblem(nic, packet, Icmpv6Type.CodeIncompleteHeaderChain, 0);
            return;
        }
        var whole = _reassembler.Add(nic, packet, identification, offset, more);
        if (whole is null)
        {
            return;
        }
        try
        {
            // The reassembled header chain is the first fragment's: read where it continues from there.
            var network = whole.NetworkHeader;
            var end = Ipv6HeaderChain.WalkPacket(network, Options.MaxExtensionHeaders);
            ProcessChain(nic, whole, end.UpperLayer, end.NextFieldOffset, headers, first: false, reassembled: true);
        }
        finally
        {
            whole.Release();
        }
    }

    private bool FirstFragmentHasWholeChain(PacketBuffer packet, byte next)
    {
        packet.TryPeekData(packet.DataSize, out var data);
        var end = Ipv6HeaderChain.Walk(data, next, 0, 0, Options.MaxExtensionHeaders);
        return end.Complete && end.UpperOffset + Ipv6HeaderChain.MinimumUpperLayerBytes(end.UpperLayer) <= data.Length;
    }

    private void SendParameterProblem(Nic nic, PacketBuffer packet, byte code, int pointer) =>
        _icmp.SendError(nic, packet, Icmpv6Type.ParameterProblem, code, (uint)pointer);
}
