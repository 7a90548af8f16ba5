using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Transport.Tcp;

/// <summary>
/// TCP for one <see cref="NetworkStack"/> (RFC 9293): parses ports for the demultiplexer, answers segments no
/// connection or listener wants with a RST, and holds what every connection shares (options, counters,
/// secrets). Register it with <see cref="StackOptions.TransportProtocols"/>; the socket API
/// (<c>Netstack.Sockets.TcpListener</c>, <c>TcpConnection</c>) finds it through the stack.
/// </summary>
public sealed class TcpProtocol : ITransportProtocol
{
    /// <summary>The IP protocol number of TCP.</summary>
    public const byte ProtocolNumber = 6;

    private readonly long _startTimestamp;
    private readonly double _usPerTimestamp;
    private int _liveEndpoints;

    /// <summary>Creates TCP for <paramref name="stack"/>.</summary>
    public TcpProtocol(NetworkStack stack, TcpProtocolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        Options = options ?? new TcpProtocolOptions();
        Options.Validate();
        Stack = stack;
        Routes = new RouteCache(stack, 64);
        _startTimestamp = stack.Time.GetTimestamp();
        _usPerTimestamp = 1e6 / stack.Time.TimestampFrequency;
    }

    /// <summary>The stack this protocol serves.</summary>
    public NetworkStack Stack { get; }

    /// <summary>The stack-wide settings.</summary>
    public TcpProtocolOptions Options { get; }

    /// <summary>Counters.</summary>
    public TcpStats Stats { get; } = new();

    /// <inheritdoc/>
    public byte Number => ProtocolNumber;

    /// <summary>Connections and listeners that still hold state (timers, buffers, demultiplexer entries).</summary>
    public int ActiveEndpoints => Volatile.Read(ref _liveEndpoints);

    internal TcpSecrets Secrets { get; } = new();

    /// <summary>
    /// Routes for segments answered without a connection (RSTs, cookie SYN-ACKs) and for new passive
    /// connections: a flood from a few peers looks them up without allocating.
    /// </summary>
    internal RouteCache Routes { get; }

    /// <summary>Milliseconds on the stack's monotonic clock.</summary>
    internal long NowMs => Stack.Timers.NowMilliseconds;

    /// <summary>Microseconds on the stack's monotonic clock.</summary>
    internal long NowUs => (long)((Stack.Time.GetTimestamp() - _startTimestamp) * _usPerTimestamp);

    /// <summary>Finds the TCP protocol registered with <paramref name="stack"/>.</summary>
    /// <exception cref="InvalidOperationException">The stack does not run TCP.</exception>
    public static TcpProtocol From(NetworkStack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return stack.GetTransportProtocol(ProtocolNumber) as TcpProtocol
            ?? throw new InvalidOperationException("The stack does not run TCP: add a TcpProtocol factory to StackOptions.TransportProtocols.");
    }

    /// <inheritdoc/>
    public bool TryParsePorts(PacketBuffer packet, out ushort sourcePort, out ushort destinationPort)
    {
        Span<byte> bytes = packet.TransportHeader;
        if (bytes.IsEmpty && !packet.TryPeekData(4, out bytes))
        {
            sourcePort = destinationPort = 0;
            return false;
        }
        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        destinationPort = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>RFC 9293 section 3.10.7.1: a segment for no connection is answered with a RST unless it is one.</remarks>
    public bool HandleUnmatched(Nic nic, PacketBuffer packet, in TransportEndpointId id)
    {
        if (!TryParse(nic, packet, out var segment))
        {
            return false;
        }
        if (!segment.Has(TcpFlags.Rst))
        {
            SendResetFor(nic, segment, id);
        }
        return false;
    }

    /// <summary>
    /// Parses a segment and counts it, or counts why it was dropped. A segment to a broadcast or multicast
    /// address, or in a link-layer broadcast or multicast frame, is dropped unanswered (RFC 1122 4.2.3.10;
    /// Linux drops all but PACKET_HOST).
    /// </summary>
    internal bool TryParse(Nic nic, PacketBuffer packet, out TcpSegment segment)
    {
        var destination = packet.DestinationAddress;
        if (destination.IsMulticast || nic.IsBroadcast(destination) || packet.PacketType is PacketType.Broadcast or PacketType.Multicast)
        {
            segment = default;
            Stats.DroppedNotUnicast.Increment();
            return false;
        }
        switch (TcpSegment.TryParse(packet, out segment))
        {
            case TcpParseResult.Ok:
                Stats.SegmentsReceived.Increment();
                return true;
            case TcpParseResult.BadChecksum:
                Stats.DroppedBadChecksum.Increment();
                return false;
            default:
                Stats.DroppedMalformed.Increment();
                return false;
        }
    }

    /// <summary>The RST that answers <paramref name="segment"/> (RFC 9293 section 3.10.7.1).</summary>
    internal void SendResetFor(Nic nic, in TcpSegment segment, in TransportEndpointId id)
    {
        if (segment.Has(TcpFlags.Ack))
        {
            SendControl(nic, id, segment.Ack, default, TcpFlags.Rst);
        }
        else
        {
            SendControl(nic, id, default, segment.Seq + segment.SequenceLength, TcpFlags.Rst | TcpFlags.Ack);
        }
    }

    /// <summary>Sends a segment without data or options that belongs to no connection (a RST).</summary>
    internal void SendControl(Nic nic, in TransportEndpointId id, SeqNumber seq, SeqNumber ack, TcpFlags flags)
    {
        if (Routes.FindRoute(id.RemoteAddress, out var route, id.LocalAddress, nic.Id) != TcpipError.None || route is null)
        {
            return;
        }
        var packet = PacketBuffer.Rent(route.MaxHeaderLength + TcpHeader.MinimumSize);
        try
        {
            var header = packet.PushHeader(HeaderKind.Transport, TcpHeader.MinimumSize);
            TcpHeader.Encode(header, new TcpFields(id.LocalPort, id.RemotePort, seq.Value, ack.Value, flags, 0), TcpHeader.MinimumSize);
            FinishChecksum(packet, route, TcpHeader.MinimumSize, 0, 0);
            packet.TransportProtocol = ProtocolNumber;
            if (route.WritePacket(packet, new NetworkHeaderParams(ProtocolNumber)) == TcpipError.None)
            {
                Stats.SegmentsSent.Increment();
                if ((flags & TcpFlags.Rst) != 0)
                {
                    Stats.ResetsSent.Increment();
                }
            }
        }
        finally
        {
            packet.Release();
        }
    }

    /// <summary>
    /// Fills the checksum of a segment whose TCP header was pushed and whose data is in place: in software when
    /// the route needs it, otherwise as a partial pseudo-header sum the link (or the host, for GSO) completes.
    /// A segment with more than <paramref name="gsoMss"/> bytes of data goes out as one GSO packet.
    /// </summary>
    internal static void FinishChecksum(PacketBuffer packet, Route route, int headerLength, int dataLength, int gsoMss)
    {
        var header = packet.TransportHeader;
        int tcpLength = headerLength + dataLength;
        ushort pseudo = Checksum.PseudoHeaderSum(route.LocalAddress, route.RemoteAddress, ProtocolNumber, tcpLength);
        bool gso = gsoMss > 0 && dataLength > gsoMss;
        if (!gso && route.RequiresTxChecksum)
        {
            var sum = new ChecksumAccumulator(pseudo);
            sum.Add(header);
            foreach (var v in packet.Data)
            {
                sum.Add(v.Span);
            }
            BinaryPrimitives.WriteUInt16BigEndian(header[TcpHeader.ChecksumOffset..], Checksum.Finish(sum.Sum));
            return;
        }
        // CHECKSUM_PARTIAL as Linux does it: the field holds the pseudo-header sum (length included), not complemented.
        BinaryPrimitives.WriteUInt16BigEndian(header[TcpHeader.ChecksumOffset..], pseudo);
        bool v4 = route.LocalAddress.IsV4;
        packet.Gso = new GsoOptions
        {
            Type = gso ? (v4 ? GsoType.TcpV4 : GsoType.TcpV6) : GsoType.None,
            NeedsChecksum = true,
            ChecksumOffset = TcpHeader.ChecksumOffset,
            Mss = (ushort)Math.Min(gsoMss, ushort.MaxValue),
            L3HeaderLength = (ushort)(v4 ? 20 : 40),
            MaxSize = route.Nic.Link.GsoMaxSize,
        };
    }

    /// <summary>Raised when a connection hit an internal error (a bug) and was aborted; the exception is passed.</summary>
    public event Action<Exception>? InternalError;

    internal void ReportInternalError(Exception e)
    {
        Stats.InternalErrors.Increment();
        InternalError?.Invoke(e);
    }

    internal void OnEndpointCreated() => Interlocked.Increment(ref _liveEndpoints);

    internal void OnEndpointReleased() => Interlocked.Decrement(ref _liveEndpoints);
}
