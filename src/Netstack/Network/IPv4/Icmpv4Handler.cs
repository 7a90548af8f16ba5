using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Network.IPv4;

/// <summary>
/// ICMPv4 (RFC 792) for <see cref="Ipv4Protocol"/>: answers echo requests, turns received errors into
/// <see cref="TransportError"/>s for the endpoints they concern (and path MTU updates), and sends errors
/// under the rules of RFC 1122 3.2.2 and RFC 1812 4.3.2.7 with a global token-bucket rate limit.
/// </summary>
internal sealed class Icmpv4Handler
{
    // RFC 1812 4.3.2.3: an error quotes as much of the datagram as fits in 576 bytes with our headers.
    private const int MaxQuoted = Ipv4Header.MinimumReassemblySize - Ipv4Header.MinimumSize - Icmpv4Header.Size;

    // RFC 1191 section 7: MTU plateaus for routers that send a zero next-hop MTU.
    private static ReadOnlySpan<ushort> Plateaus => [32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

    private readonly NetworkStack _stack;
    private readonly Ipv4Protocol _ip;
    private readonly Icmpv4Stats _stats;
    private readonly Ipv4ProtocolOptions _options;
    private readonly IcmpRateLimiter _limiter;
    private readonly RouteCache _routes;

    public Icmpv4Handler(NetworkStack stack, Ipv4Protocol ip)
    {
        _stack = stack;
        _ip = ip;
        _stats = ip.IcmpStats;
        _options = ip.Options;
        _limiter = new IcmpRateLimiter(stack.Time, _options.IcmpErrorsPerSecond, _options.IcmpErrorBurst);
        _routes = new RouteCache(stack);
    }

    /// <summary>Handles an ICMP message (network header consumed, data = the message).</summary>
    public void HandlePacket(Nic nic, PacketBuffer packet)
    {
        _stats.Received.Increment();
        if (!packet.TryPeekData(Icmpv4Header.Size, out var bytes))
        {
            _stats.DroppedTruncated.Increment();
            return;
        }
        byte type = bytes[0];
        byte code = bytes[1];
        uint rest = BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
        if (!IsChecksumValid(packet))
        {
            _stats.DroppedBadChecksum.Increment();
            return;
        }
        switch (type)
        {
            case Icmpv4Type.Echo:
                _stats.EchoRequestsReceived.Increment();
                HandleEcho(nic, packet, rest);
                break;
            case Icmpv4Type.EchoReply:
                _stats.EchoRepliesReceived.Increment();
                break;
            case Icmpv4Type.DestinationUnreachable:
                _stats.DestinationUnreachableReceived.Increment();
                HandleError(nic, packet, type, code, rest);
                break;
            case Icmpv4Type.TimeExceeded:
                _stats.TimeExceededReceived.Increment();
                HandleError(nic, packet, type, code, rest);
                break;
            case Icmpv4Type.ParameterProblem:
                _stats.ParameterProblemReceived.Increment();
                HandleError(nic, packet, type, code, rest);
                break;
            default:
                // Source quench (RFC 6633), redirects (a host with static routes), timestamps and the
                // obsolete queries are ignored.
                _stats.Ignored.Increment();
                break;
        }
    }

    /// <summary>
    /// Sends an error about <paramref name="offending"/> (a received datagram, network header consumed) if
    /// the rules allow it and the rate limit has a token.
    /// </summary>
    public void SendError(Nic nic, PacketBuffer offending, byte type, byte code, uint rest)
    {
        var header = offending.NetworkHeader;
        if (!Ipv4Header.TryParseQuoted(header, out var ip) || !MayAnswer(nic, offending, ip))
        {
            _stats.ErrorsSuppressed.Increment();
            return;
        }
        if (!_limiter.TryTake())
        {
            _stats.ErrorsRateLimited.Increment();
            return;
        }
        var source = ip.Source;
        var destination = ip.Destination;
        byte tos = (byte)((ip.Tos & 0x1E) | 0xC0); // keep the TOS bits, precedence "internetwork control" (as Linux)
        // A host answers from the address the datagram was sent to, so the sender can match the error.
        var local = nic.HasAddress(destination) ? destination : default;
        if (_routes.FindRoute(source, out var route, local) != TcpipError.None || route is null)
        {
            _stats.SendNoRoute.Increment();
            return;
        }
        var packet = IcmpErrorQuote.Rent(offending, MaxQuoted, route.MaxHeaderLength + Icmpv4Header.Size);
        try
        {
            packet.TryGetContiguousData(out var body);
            var h = packet.PushHeader(HeaderKind.Transport, Icmpv4Header.Size);
            Icmpv4Header.Encode(h, type, code, rest);
            BinaryPrimitives.WriteUInt16BigEndian(h[2..], Checksum.Compute(body, Checksum.Sum(h)));
            if (route.WritePacket(packet, new NetworkHeaderParams(TransportProtocolNumber.Icmpv4, Tos: tos)) == TcpipError.None)
            {
                _stats.ErrorsSent.Increment();
            }
        }
        finally
        {
            packet.Release();
        }
    }

    private static bool IsChecksumValid(PacketBuffer packet)
    {
        var sum = new ChecksumAccumulator(0);
        foreach (var view in packet.Data)
        {
            sum.Add(view.Span);
        }
        return sum.Sum == 0xFFFF;
    }

    // RFC 1122 3.2.2 / RFC 1812 4.3.2.7: never answer an ICMP error, a datagram to a broadcast or multicast
    // address (IP or link layer), a fragment other than the first, or a source that is not one host.
    private static bool MayAnswer(Nic nic, PacketBuffer offending, Ipv4Header ip)
    {
        if (ip.FragmentOffset != 0)
        {
            return false;
        }
        var destination = ip.Destination;
        if (destination.IsMulticast || nic.IsBroadcast(destination)
            || offending.PacketType is PacketType.Broadcast or PacketType.Multicast)
        {
            return false;
        }
        var source = ip.Source;
        if (source.IsUnspecified || source.IsMulticast || source.IsLimitedBroadcast || nic.IsBroadcast(source)
            || source.IsLoopback || (source.V4Value >> 28) == 0xF)
        {
            return false;
        }
        if (ip.Protocol == TransportProtocolNumber.Icmpv4)
        {
            var transport = offending.TransportHeader;
            byte icmpType;
            if (!transport.IsEmpty)
            {
                icmpType = transport[0];
            }
            else if (offending.TryPeekData(1, out var first) && !first.IsEmpty)
            {
                icmpType = first[0];
            }
            else
            {
                return false;
            }
            return Icmpv4Type.IsQuery(icmpType);
        }
        return true;
    }

    private void HandleEcho(Nic nic, PacketBuffer request, uint identifierAndSequence)
    {
        var destination = request.DestinationAddress;
        var source = request.SourceAddress;
        bool group = destination.IsMulticast || nic.IsBroadcast(destination);
        if (group && _options.IgnoreBroadcastEcho)
        {
            _stats.EchoIgnoredBroadcast.Increment();
            return;
        }
        if (source.IsUnspecified)
        {
            _stats.Ignored.Increment();
            return;
        }
        // Reply from the address that was pinged; a group echo is answered from the NIC's own address. The
        // route is cached: a ping flood from one peer allocates nothing.
        var error = group
            ? _routes.FindRoute(source, out var route, default, nic.Id)
            : _routes.FindRoute(source, out route, destination);
        if (error != TcpipError.None || route is null)
        {
            _stats.SendNoRoute.Increment();
            return;
        }
        byte tos = request.NetworkHeader.Length > 1 ? request.NetworkHeader[1] : (byte)0;

        // The reply's data is the request's data: its views are shared, not copied.
        var reply = PacketBuffer.Rent(route.MaxHeaderLength + Icmpv4Header.Size);
        try
        {
            int skip = Icmpv4Header.Size;
            foreach (var view in request.Data)
            {
                if (skip >= view.Length)
                {
                    skip -= view.Length;
                    continue;
                }
                reply.AppendView(view.Slice(skip, view.Length - skip));
                skip = 0;
            }
            var h = reply.PushHeader(HeaderKind.Transport, Icmpv4Header.Size);
            Icmpv4Header.Encode(h, Icmpv4Type.EchoReply, 0, identifierAndSequence);
            var sum = new ChecksumAccumulator(0);
            foreach (var view in reply.Views)
            {
                sum.Add(view.Span);
            }
            BinaryPrimitives.WriteUInt16BigEndian(h[2..], Checksum.Finish(sum.Sum));
            if (route.WritePacket(reply, new NetworkHeaderParams(TransportProtocolNumber.Icmpv4, Tos: tos)) == TcpipError.None)
            {
                _stats.EchoRepliesSent.Increment();
            }
        }
        finally
        {
            reply.Release();
        }
    }

    private void HandleError(Nic nic, PacketBuffer packet, byte type, byte code, uint rest)
    {
        // The quoted datagram: its IP header and at least the first 8 bytes of its payload (RFC 792).
        int available = Math.Min(packet.DataSize, Icmpv4Header.Size + Ipv4Header.MaximumSize + 8);
        if (!packet.TryPeekData(available, out var bytes) || !Ipv4Header.TryParseQuoted(bytes[Icmpv4Header.Size..], out var inner))
        {
            _stats.DroppedErrorMalformed.Increment();
            return;
        }
        var source = inner.Source;
        var destination = inner.Destination;
        byte protocol = inner.Protocol;
        if (_stack.FindNicWithAddress(source) is null)
        {
            // We did not send what it quotes: nothing of ours to report it to (RFC 5927 section 4.1).
            _stats.DroppedErrorNotOurs.Increment();
            return;
        }
        var error = ToTransportError(type, code, rest);
        if (error.Kind == TransportErrorKind.PacketTooBig)
        {
            int mtu = (int)(rest & 0xFFFF);
            if (mtu == 0)
            {
                mtu = Plateau(inner.TotalLength);
            }
            if (mtu < Ipv4Header.MinimumMtu)
            {
                _stats.DroppedBadMtu.Increment();
                return;
            }
            error = error with { Info = _ip.LowerPathMtu(nic, destination, mtu) };
        }
        var transport = bytes[(Icmpv4Header.Size + inner.HeaderLength)..];
        if (inner.FragmentOffset != 0 || transport.Length < 4)
        {
            // A non-first fragment quotes no transport header: no endpoint can be named.
            _stats.ErrorsWithoutEndpoint.Increment();
            return;
        }
        TransportEndpointId id;
        if (protocol == TransportProtocolNumber.Icmpv4)
        {
            // An echo is identified by its identifier (what ping sockets bind as their port).
            if (transport.Length < Icmpv4Header.Size || transport[0] != Icmpv4Type.Echo)
            {
                _stats.ErrorsWithoutEndpoint.Increment();
                return;
            }
            id = new TransportEndpointId(BinaryPrimitives.ReadUInt16BigEndian(transport[4..]), source, 0, destination);
        }
        else
        {
            id = new TransportEndpointId(
                BinaryPrimitives.ReadUInt16BigEndian(transport),
                source,
                BinaryPrimitives.ReadUInt16BigEndian(transport[2..]),
                destination);
        }
        if (transport.Length >= 8)
        {
            error = error with { QuotedWord = BinaryPrimitives.ReadUInt32BigEndian(transport[4..]) };
        }
        if (_stack.DeliverTransportError(protocol, id, error))
        {
            _stats.ErrorsDelivered.Increment();
        }
        else
        {
            _stats.ErrorsWithoutEndpoint.Increment();
        }
    }

    private static TransportError ToTransportError(byte type, byte code, uint rest)
    {
        if (type == Icmpv4Type.TimeExceeded)
        {
            return new TransportError(TransportErrorKind.TimeExceeded, code);
        }
        if (type == Icmpv4Type.ParameterProblem)
        {
            return new TransportError(TransportErrorKind.ParameterProblem, (int)(rest >> 24));
        }
        return code switch
        {
            Icmpv4Code.NetUnreachable or Icmpv4Code.NetUnknown or Icmpv4Code.NetUnreachableForTos
                => new TransportError(TransportErrorKind.NetworkUnreachable),
            Icmpv4Code.ProtocolUnreachable => new TransportError(TransportErrorKind.ProtocolUnreachable),
            Icmpv4Code.PortUnreachable => new TransportError(TransportErrorKind.PortUnreachable),
            Icmpv4Code.FragmentationNeeded => new TransportError(TransportErrorKind.PacketTooBig),
            Icmpv4Code.NetProhibited or Icmpv4Code.HostProhibited or Icmpv4Code.AdministrativelyProhibited
                or Icmpv4Code.HostPrecedenceViolation or Icmpv4Code.PrecedenceCutoff
                => new TransportError(TransportErrorKind.Prohibited),
            _ => new TransportError(TransportErrorKind.HostUnreachable),
        };
    }

    // The largest plateau below the size of the datagram that did not fit.
    private static int Plateau(int totalLength)
    {
        foreach (ushort p in Plateaus)
        {
            if (p < totalLength)
            {
                return p;
            }
        }
        return Ipv4Header.MinimumMtu;
    }
}
