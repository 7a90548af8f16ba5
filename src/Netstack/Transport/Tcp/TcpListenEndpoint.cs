using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Transport.Tcp;

/// <summary>
/// A listening socket (RFC 9293 LISTEN): answers SYNs, keeps a bounded SYN queue of half-open connections
/// and a bounded accept queue of established ones. When the SYN queue is full it answers with SYN cookies
/// (RFC 4987 3.6) and keeps no state; when the accept queue is full it drops SYNs and completing
/// handshakes, as Linux does, so the peer retries.
/// </summary>
internal sealed class TcpListenEndpoint : ITransportEndpoint
{
    private const long CookieWindowMs = 128_000;

    private readonly Lock _gate = new();
    private readonly HashSet<TcpEndpoint> _halfOpen = new();
    private readonly Channel<TcpEndpoint> _accepted = Channel.CreateUnbounded<TcpEndpoint>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly int _backlog;
    private readonly int _synQueueLimit;
    private TransportEndpointId _id;
    private int _queued;
    private int _reserved;
    private bool _closed;
    private bool _registered;
    private bool _portReserved;
    private long _lastCookieMs = long.MinValue;

    private TcpListenEndpoint(TcpProtocol protocol, TcpConnectionSettings settings, int backlog)
    {
        Protocol = protocol;
        Settings = settings;
        _backlog = backlog;
        _synQueueLimit = Math.Min(backlog, protocol.Options.MaxSynBacklog);
        protocol.OnEndpointCreated();
    }

    /// <summary>The protocol.</summary>
    public TcpProtocol Protocol { get; }

    /// <summary>Settings given to accepted connections.</summary>
    public TcpConnectionSettings Settings { get; }

    /// <summary>The bound address and port.</summary>
    public TransportEndpointId Id => _id;

    /// <summary>Half-open connections (the SYN queue).</summary>
    public int HalfOpenCount
    {
        get
        {
            lock (_gate)
            {
                return _halfOpen.Count;
            }
        }
    }

    /// <summary>Established connections waiting for <see cref="AcceptAsync"/>.</summary>
    public int AcceptQueueLength => Volatile.Read(ref _queued);

    /// <summary>Binds and starts listening on <paramref name="local"/> (unspecified: every address of its family) and <paramref name="port"/> (0: ephemeral).</summary>
    public static TcpipError Listen(TcpProtocol protocol, TcpConnectionSettings settings, Address local, ushort port, int backlog, out TcpListenEndpoint? listener)
    {
        listener = null;
        var stack = protocol.Stack;
        if (!local.IsUnspecified && stack.FindNicWithAddress(local) is null)
        {
            return TcpipError.BadLocalAddress;
        }
        var error = stack.Ports.Reserve(TcpProtocol.ProtocolNumber, local, port, reuse: false, out ushort bound);
        if (error != TcpipError.None)
        {
            return error;
        }
        var l = new TcpListenEndpoint(protocol, settings, backlog)
        {
            _id = new TransportEndpointId(bound, local, 0, default),
            _portReserved = true,
        };
        error = stack.Demuxer.Register(TcpProtocol.ProtocolNumber, l._id, l);
        if (error != TcpipError.None)
        {
            l.Close();
            return error;
        }
        l._registered = true;
        listener = l;
        return TcpipError.None;
    }

    /// <summary>The next established connection; null once the listener is closed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TcpEndpoint?> AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            var ep = await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Decrement(ref _queued);
            return ep;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Stops listening: leaves the demultiplexer, frees the port, resets every connection not yet accepted.</summary>
    public void Close()
    {
        TcpEndpoint[] halfOpen;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            halfOpen = [.. _halfOpen];
            _halfOpen.Clear();
        }
        var stack = Protocol.Stack;
        if (_registered)
        {
            _registered = false;
            stack.Demuxer.Unregister(TcpProtocol.ProtocolNumber, _id, this);
        }
        if (_portReserved)
        {
            _portReserved = false;
            stack.Ports.Release(TcpProtocol.ProtocolNumber, _id.LocalAddress, _id.LocalPort);
        }
        _accepted.Writer.TryComplete();
        foreach (var ep in halfOpen)
        {
            ep.Abort();
        }
        while (_accepted.Reader.TryRead(out var ep))
        {
            Interlocked.Decrement(ref _queued);
            ep.Abort();
        }
        Protocol.OnEndpointReleased();
    }

    /// <inheritdoc/>
    public void HandlePacket(Nic nic, in TransportEndpointId id, PacketBuffer packet)
    {
        if (!Protocol.TryParse(nic, packet, out var seg))
        {
            return;
        }
        var flags = seg.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst | TcpFlags.Fin);
        if ((flags & TcpFlags.Rst) != 0)
        {
            return;
        }
        if (flags == TcpFlags.Syn)
        {
            HandleSyn(nic, id, seg);
            return;
        }
        if ((flags & TcpFlags.Syn) == 0 && (flags & TcpFlags.Ack) != 0 && TryCompleteCookie(nic, id, seg, packet))
        {
            return;
        }
        if ((flags & TcpFlags.Syn) != 0 && (flags & TcpFlags.Ack) == 0)
        {
            // SYN with FIN: no sense in it.
            Protocol.Stats.DroppedInvalidFlags.Increment();
            return;
        }
        // RFC 9293 3.10.7.2: an ACK to a listener draws a RST; anything else is dropped.
        if ((flags & TcpFlags.Ack) != 0)
        {
            Protocol.SendResetFor(nic, seg, id);
        }
    }

    /// <inheritdoc/>
    public void HandleError(in TransportEndpointId id, TransportError error)
    {
    }

    /// <summary>A connection of ours finished its handshake: reserve a place in the accept queue, or refuse.</summary>
    internal bool TryReserveAcceptSlot()
    {
        lock (_gate)
        {
            if (_closed || Volatile.Read(ref _queued) + _reserved >= _backlog)
            {
                return false;
            }
            _reserved++;
            return true;
        }
    }

    /// <summary>A half-open connection reached ESTABLISHED with a reserved slot: queue it for accept.</summary>
    internal void OnEstablished(TcpEndpoint ep)
    {
        bool abort;
        lock (_gate)
        {
            _reserved--;
            _halfOpen.Remove(ep);
            abort = _closed;
            if (!abort)
            {
                Interlocked.Increment(ref _queued);
                _accepted.Writer.TryWrite(ep);
            }
        }
        if (abort)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static e => e.Abort(), ep, preferLocal: false);
        }
    }

    /// <summary>A half-open connection died (reset, timed out, aborted).</summary>
    internal void OnHalfOpenGone(TcpEndpoint ep)
    {
        lock (_gate)
        {
            _halfOpen.Remove(ep);
        }
    }

    /// <summary>Records a new half-open connection (called by it before it registers).</summary>
    internal bool AddHalfOpen(TcpEndpoint ep)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }
            _halfOpen.Add(ep);
            return true;
        }
    }

    private void HandleSyn(Nic nic, in TransportEndpointId id, in TcpSegment syn)
    {
        var mode = Protocol.Options.SynCookies;
        bool cookie;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            if (Volatile.Read(ref _queued) + _reserved >= _backlog)
            {
                // Linux drops SYNs while the accept queue is full; the peer retries.
                Protocol.Stats.ListenOverflows.Increment();
                return;
            }
            bool full = _halfOpen.Count >= _synQueueLimit;
            if (full && mode == SynCookieMode.Never)
            {
                Protocol.Stats.SynQueueDrops.Increment();
                return;
            }
            cookie = mode == SynCookieMode.Always || full;
            if (cookie)
            {
                _lastCookieMs = Protocol.NowMs;
            }
        }
        if (cookie)
        {
            SendCookieSynAck(nic, id, syn);
        }
        else
        {
            TcpEndpoint.CreatePassive(this, nic, id, syn);
        }
    }

    private void SendCookieSynAck(Nic nic, in TransportEndpointId id, in TcpSegment syn)
    {
        var protocol = Protocol;
        var options = protocol.Options;
        if (protocol.Routes.FindRoute(id.RemoteAddress, out var route, id.LocalAddress, nic.Id) != TcpipError.None || route is null)
        {
            return;
        }
        int ipHeader = route.LocalAddress.IsV4 ? 20 : 40;
        int ourMss = Math.Clamp(route.Mtu - ipHeader - TcpHeader.MinimumSize, 64, ushort.MaxValue);
        int peerMss = syn.Options.HasMss && syn.Options.Mss > 0 ? syn.Options.Mss : (route.LocalAddress.IsV4 ? 536 : 1220);
        uint cookie = SynCookies.Make(protocol.Secrets, id, syn.Seq.Value, protocol.NowMs, Math.Min(peerMss, ourMss), out _);
        // Without timestamps there is nowhere to keep window scale and SACK: they are left out (as Linux).
        bool ts = options.Timestamps && syn.Options.HasTimestamps;
        bool scale = ts && options.WindowScaling && syn.Options.HasWindowScale;
        bool sack = ts && options.Sack && syn.Options.SackPermitted;
        int ourShift = scale ? TcpEndpoint.WindowShiftFor(Settings.ReceiveBufferSize) : -1;
        uint tsNow = unchecked((uint)protocol.NowMs + protocol.Secrets.TimestampOffset(id));
        uint tsValue = SynCookies.EncodeTimestamp(tsNow, scale ? Math.Min((int)syn.Options.WindowScale, 14) : -1, sack);
        int optionsLength = TcpOptionWriter.SynLength(scale, sack, ts);
        int headerLength = TcpHeader.MinimumSize + optionsLength;
        var packet = PacketBuffer.Rent(route.MaxHeaderLength + headerLength);
        try
        {
            var header = packet.PushHeader(HeaderKind.Transport, headerLength);
            ushort window = (ushort)Math.Min(Settings.ReceiveBufferSize, ushort.MaxValue);
            TcpHeader.Encode(header, new TcpFields(id.LocalPort, id.RemotePort, cookie, (syn.Seq + 1).Value, TcpFlags.Syn | TcpFlags.Ack, window), headerLength);
            TcpOptionWriter.WriteSyn(header[TcpHeader.MinimumSize..], (ushort)ourMss, ourShift, sack, ts, tsValue, syn.Options.TimestampValue);
            TcpProtocol.FinishChecksum(packet, route, headerLength, 0, 0);
            packet.TransportProtocol = TcpProtocol.ProtocolNumber;
            if (route.WritePacket(packet, new NetworkHeaderParams(TcpProtocol.ProtocolNumber, DontFragment: true)) == TcpipError.None)
            {
                protocol.Stats.SegmentsSent.Increment();
                protocol.Stats.SynCookiesSent.Increment();
            }
        }
        finally
        {
            packet.Release();
        }
    }

    private bool TryCompleteCookie(Nic nic, in TransportEndpointId id, in TcpSegment ack, PacketBuffer packet)
    {
        var protocol = Protocol;
        long now = protocol.NowMs;
        lock (_gate)
        {
            if (_closed || protocol.Options.SynCookies == SynCookieMode.Never
                || (protocol.Options.SynCookies == SynCookieMode.OnOverflow && (_lastCookieMs == long.MinValue || now - _lastCookieMs > CookieWindowMs)))
            {
                return false;
            }
        }
        uint peerIsn = (ack.Seq - 1).Value;
        if (!SynCookies.Check(protocol.Secrets, id, peerIsn, (ack.Ack - 1).Value, now, out int mss))
        {
            protocol.Stats.SynCookiesInvalid.Increment();
            return false;
        }
        int windowScale = -1;
        bool sack = false;
        if (ack.Options.HasTimestamps)
        {
            SynCookies.DecodeTimestamp(ack.Options.TimestampEcho, out windowScale, out sack);
        }
        if (!TryReserveAcceptSlot())
        {
            protocol.Stats.ListenOverflows.Increment();
            return true;
        }
        var ep = TcpEndpoint.CreateFromCookie(this, nic, id, ack, mss, windowScale, sack);
        if (ep is null)
        {
            lock (_gate)
            {
                _reserved--;
            }
            return true;
        }
        protocol.Stats.SynCookiesValid.Increment();
        lock (_gate)
        {
            _halfOpen.Add(ep);
        }
        OnEstablished(ep);
        if (ack.DataLength > 0 || ack.Has(TcpFlags.Fin))
        {
            ep.HandlePacket(nic, id, packet);
        }
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"tcp listen {_id.LocalAddress}:{_id.LocalPort}";
}
