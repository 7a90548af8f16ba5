using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Network.IPv6;

/// <summary>
/// ICMPv6 (RFC 4443): checks every message's checksum, answers echo requests, hands received errors to
/// the transport endpoint they concern (and Packet Too Big to path MTU discovery), passes NDP to
/// <see cref="NeighborDiscovery"/>, and builds the errors this host sends under the rules of section
/// 2.4 (e) and a token-bucket rate limit.
/// </summary>
internal sealed class Icmpv6Handler
{
    // RFC 4443 section 2.4 (c): as much of the invoking packet as fits in the minimum MTU.
    private const int MaxInvokingBytes = Ipv6Header.MinimumMtu - Ipv6Header.Size - Icmpv6Header.Size;

    private readonly Ipv6Protocol _ip;
    private readonly Icmpv6Stats _stats;
    private readonly IcmpRateLimiter _errorLimiter;
    private readonly RouteCache _routes;

    public Icmpv6Handler(Ipv6Protocol ip)
    {
        _ip = ip;
        _stats = ip.IcmpStats;
        _errorLimiter = new IcmpRateLimiter(ip.Stack.Time, ip.Options.IcmpErrorsPerSecond, ip.Options.IcmpErrorBurst);
        _routes = new RouteCache(ip.Stack);
    }

    /// <summary>Handles a message (IPv6 header consumed, the message is the data).</summary>
    public void HandlePacket(Nic nic, PacketBuffer packet)
    {
        _stats.MessagesReceived.Increment();
        int length = packet.DataSize;
        if (length < Icmpv6Header.Size)
        {
            _stats.DroppedTooShort.Increment();
            return;
        }
        if (!packet.RxChecksumValidated && !ChecksumValid(packet, length))
        {
            _stats.DroppedBadChecksum.Increment();
            return;
        }
        packet.TryPeekData(1, out var lead);
        byte type = lead[0];
        switch (type)
        {
            case Icmpv6Type.EchoRequest:
                HandleEchoRequest(nic, packet);
                break;
            case Icmpv6Type.EchoReply:
                _stats.EchoRepliesReceived.Increment();
                break;
            case Icmpv6Type.DestinationUnreachable:
            case Icmpv6Type.PacketTooBig:
            case Icmpv6Type.TimeExceeded:
            case Icmpv6Type.ParameterProblem:
                HandleError(nic, packet);
                break;
            case Icmpv6Type.MulticastListenerQuery:
            case Icmpv6Type.MulticastListenerReport:
            case Icmpv6Type.MulticastListenerDone:
            case Icmpv6Type.MulticastListenerReportV2:
                _stats.MulticastListenerIgnored.Increment();
                break;
            case Icmpv6Type.RouterSolicitation:
            case Icmpv6Type.RouterAdvertisement:
            case Icmpv6Type.NeighborSolicitation:
            case Icmpv6Type.NeighborAdvertisement:
            case Icmpv6Type.Redirect:
                _ip.Ndp.HandleMessage(nic, packet, type);
                break;
            default:
                // RFC 4443 section 2.4 (a)/(b): unknown informational messages are dropped; unknown errors
                // name no condition a transport could act on.
                _stats.DroppedUnknownType.Increment();
                break;
        }
    }

    /// <summary>
    /// Sends an ICMPv6 error about <paramref name="offending"/> (network header consumed or being walked; the
    /// network header, any transport header and the data together are the invoking packet). Not sent about an
    /// ICMPv6 error or redirect, to or from a non-unicast address (unless <paramref name="allowMulticastDestination"/>:
    /// Packet Too Big and Parameter Problem code 2), without a route back, or above the rate limit.
    /// </summary>
    public void SendError(Nic nic, PacketBuffer offending, byte type, byte code, uint word = 0, bool allowMulticastDestination = false)
    {
        var network = offending.NetworkHeader;
        if (!Ipv6Header.TryParse(network, out var ip))
        {
            return;
        }
        var source = ip.Source;
        var destination = ip.Destination;
        // RFC 4443 section 2.4 (e).
        if (source.IsUnspecified || source.IsMulticast
            || (!allowMulticastDestination && (destination.IsMulticast || offending.PacketType is PacketType.Multicast or PacketType.Broadcast))
            || IsErrorOrRedirect(offending))
        {
            _stats.ErrorsSuppressed.Increment();
            return;
        }
        var local = destination.IsMulticast || !nic.HasAddress(destination) ? _ip.SelectSourceAddress(nic, source) : destination;
        if (local.IsEmpty || _routes.FindRoute(source, out var route, local, nic.Id) != TcpipError.None)
        {
            _stats.ErrorsSuppressed.Increment();
            return;
        }
        if (!_errorLimiter.TryTake())
        {
            _stats.ErrorsRateLimited.Increment();
            return;
        }
        var packet = IcmpErrorQuote.Rent(offending, MaxInvokingBytes, route!.MaxHeaderLength + Icmpv6Header.Size);
        try
        {
            var header = packet.PushHeader(HeaderKind.Transport, Icmpv6Header.Size);
            Icmpv6Header.Encode(header, type, code, word);
            SetChecksum(packet, local, source);
            if (route.WritePacket(packet, new NetworkHeaderParams(TransportProtocolNumber.Icmpv6)) == TcpipError.None)
            {
                _stats.ErrorsSent.Increment();
            }
        }
        finally
        {
            packet.Release();
        }
    }

    // The message is an ICMPv6 error or a redirect: no error may answer it (RFC 4443 section 2.4 (e.1, e.2)).
    private bool IsErrorOrRedirect(PacketBuffer packet)
    {
        var network = packet.NetworkHeader;
        var end = Ipv6HeaderChain.WalkPacket(network, _ip.Options.MaxExtensionHeaders);
        if (end.UpperLayer != TransportProtocolNumber.Icmpv6 || end.UpperOffset != network.Length)
        {
            return false;
        }
        byte type;
        if (packet.TransportHeader.Length > 0)
        {
            type = packet.TransportHeader[0];
        }
        else if (packet.TryPeekData(1, out var lead))
        {
            type = lead[0];
        }
        else
        {
            return false;
        }
        return type < 128 || type == Icmpv6Type.Redirect;
    }

    private void HandleEchoRequest(Nic nic, PacketBuffer request)
    {
        _stats.EchoRequestsReceived.Increment();
        var peer = request.SourceAddress;
        // RFC 4443 section 4.2: a reply to a multicast request comes from a unicast address of the interface.
        var local = request.DestinationAddress.IsMulticast ? _ip.SelectSourceAddress(nic, peer) : request.DestinationAddress;
        // The route is cached: a ping flood from one peer allocates nothing.
        if (peer.IsUnspecified || local.IsEmpty || _routes.FindRoute(peer, out var route, local, nic.Id) != TcpipError.None)
        {
            _stats.EchoRepliesNotRouted.Increment();
            return;
        }
        request.TryConsumeHeader(HeaderKind.Transport, Icmpv6Header.Size, out var header);
        uint identifierAndSequence = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        // The reply shares the request's data buffers; only its 8-byte header is new.
        var reply = PacketBuffer.Rent(route!.MaxHeaderLength + Icmpv6Header.Size);
        try
        {
            foreach (var view in request.Data)
            {
                reply.AppendView(view);
            }
            Icmpv6Header.Encode(reply.PushHeader(HeaderKind.Transport, Icmpv6Header.Size), Icmpv6Type.EchoReply, 0, identifierAndSequence);
            SetChecksum(reply, local, peer);
            if (route.WritePacket(reply, new NetworkHeaderParams(TransportProtocolNumber.Icmpv6)) == TcpipError.None)
            {
                _stats.EchoRepliesSent.Increment();
            }
        }
        finally
        {
            reply.Release();
        }
    }

    private void HandleError(Nic nic, PacketBuffer packet)
    {
        int length = packet.DataSize;
        if (length < Icmpv6Header.Size + Ipv6Header.Size)
        {
            _stats.DroppedTooShort.Increment();
            return;
        }
        packet.TryConsumeHeader(HeaderKind.Transport, length, out var message);
        Icmpv6Header.TryParse(message, out var icmp);
        var invoking = message[Icmpv6Header.Size..];
        Ipv6Header.TryParse(invoking, out var inner);
        var originalSource = inner.Source;
        var originalDestination = inner.Destination;
        if (!IsOurs(originalSource))
        {
            // Only errors about packets this host sent mean anything; the rest are forged or misrouted.
            _stats.DroppedErrorNotOurs.Increment();
            return;
        }
        _stats.ErrorsReceived.Increment();
        var end = Ipv6HeaderChain.WalkPacket(invoking, _ip.Options.MaxExtensionHeaders);
        TransportError error;
        switch (icmp.Type)
        {
            case Icmpv6Type.PacketTooBig:
                _stats.PacketTooBigReceived.Increment();
                int reported = (int)Math.Min(icmp.Mtu, int.MaxValue);
                error = new TransportError(TransportErrorKind.PacketTooBig, _ip.UpdatePathMtu(nic, originalDestination, reported));
                break;
            case Icmpv6Type.DestinationUnreachable:
                error = new TransportError(icmp.Code switch
                {
                    Icmpv6Type.CodeNoRoute => TransportErrorKind.NetworkUnreachable,
                    Icmpv6Type.CodePortUnreachable => TransportErrorKind.PortUnreachable,
                    1 or 5 or 6 => TransportErrorKind.Prohibited,
                    _ => TransportErrorKind.HostUnreachable,
                });
                break;
            case Icmpv6Type.TimeExceeded:
                error = new TransportError(TransportErrorKind.TimeExceeded);
                break;
            default:
                bool protocol = icmp.Code == Icmpv6Type.CodeUnrecognizedNextHeader && end.Complete && icmp.Pointer == (uint)end.NextFieldOffset;
                error = new TransportError(protocol ? TransportErrorKind.ProtocolUnreachable : TransportErrorKind.ParameterProblem);
                break;
        }
        // The ports are the first four bytes of TCP, UDP and most other transports' headers.
        if (end.Complete && end.UpperLayer != TransportProtocolNumber.Icmpv6 && end.UpperOffset + 4 <= invoking.Length)
        {
            var ports = invoking[end.UpperOffset..];
            var id = new TransportEndpointId(
                BinaryPrimitives.ReadUInt16BigEndian(ports), originalSource,
                BinaryPrimitives.ReadUInt16BigEndian(ports[2..]), originalDestination);
            if (end.UpperOffset + 8 <= invoking.Length)
            {
                error = error with { QuotedWord = BinaryPrimitives.ReadUInt32BigEndian(ports[4..]) };
            }
            _ip.Stack.DeliverTransportError(end.UpperLayer, id, error);
        }
    }

    private bool IsOurs(Address address)
    {
        var nics = _ip.Stack.Nics;
        for (int i = 0; i < nics.Count; i++)
        {
            if (nics[i].FindAddress(address) is not null)
            {
                return true;
            }
        }
        return false;
    }

    private static bool ChecksumValid(PacketBuffer packet, int length)
    {
        var sum = new ChecksumAccumulator(Checksum.PseudoHeaderSum(packet.SourceAddress, packet.DestinationAddress, TransportProtocolNumber.Icmpv6, length));
        foreach (var view in packet.Data)
        {
            sum.Add(view.Span);
        }
        return sum.Sum == 0xFFFF;
    }

    // The message is the whole packet (header pushed, body after it).
    internal static void SetChecksum(PacketBuffer packet, Address source, Address destination)
    {
        var sum = new ChecksumAccumulator(Checksum.PseudoHeaderSum(source, destination, TransportProtocolNumber.Icmpv6, packet.Size));
        foreach (var view in packet.Views)
        {
            sum.Add(view.Span);
        }
        var header = packet.TransportHeader;
        Icmpv6Header.TryParse(header, out var icmp);
        icmp.Checksum = Checksum.Finish(sum.Sum);
    }
}
