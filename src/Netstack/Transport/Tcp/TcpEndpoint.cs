using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Stack.Timers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// One TCP connection (RFC 9293), from SYN-SENT or SYN-RECEIVED to CLOSED: the state machine, the send
/// and receive buffers, loss recovery and the timers. Every path into it (a segment on a receive thread, a
/// timer, an application call) runs under its lock; segments it sends go down in batches before the lock
/// is released. Application operations never block a protocol thread: they wait on <see cref="TcpSignal"/>s.
/// The file is split by concept: this part holds the state and the lifecycle; input, output, loss
/// recovery, timers and the application interface are the other parts.
/// </summary>
internal sealed partial class TcpEndpoint : ITransportEndpoint
{
    private const int DupThresh = 3;
    private const int MaxBatch = 64;
    private const int MaxQuickAcks = 16;
    private const long NeighborConfirmIntervalMs = 1000;

    private readonly TcpProtocol _protocol;
    private readonly NetworkStack _stack;
    private readonly Lock _gate = new();
    private readonly TcpSignal _readSignal = new();
    private readonly TcpSignal _writeSignal = new();
    private readonly TcpSignal _stateSignal = new();
    private readonly SendBuffer _sendBuffer;
    private readonly ReceiveQueue _receiveQueue;
    private readonly OutOfOrderQueue _outOfOrder;
    private readonly SackScoreboard _scoreboard = new();
    private readonly RttEstimator _rtt;
    private readonly WheelTimer _retransmitTimer;
    private readonly WheelTimer _delayedAckTimer;
    private readonly WheelTimer _keepaliveTimer;
    // Small at first and grown on demand: an idle or interactive connection stays small.
    private PacketBuffer[] _batch = new PacketBuffer[4];
    private BatchEntry[] _batchEntries = new BatchEntry[4];
    private int _batchCount;

    private TcpState _state = TcpState.Closed;
    private TransportEndpointId _id;
    private Route? _route;
    private long _routeGeneration;
    private TcpListenEndpoint? _listener;
    private TcpTimeWaitEndpoint? _timeWait;
    private bool _registered;
    private bool _portReserved;
    private bool _released;
    private TcpConnectionSettings _settings;
    private CongestionControl _cc;

    // Send sequence space (RFC 9293 section 3.3.1).
    private SeqNumber _iss;
    private SeqNumber _sndUna;
    private SeqNumber _sndNxt;
    private SeqNumber _sndWl1;
    private SeqNumber _sndWl2;
    private int _sndWnd;
    private int _maxSndWnd;
    private int _sndWndShift;
    private int _peerMss;
    private int _sndMss;            // payload bytes per segment, options of a data segment taken off
    private int _gsoMaxPayload;     // 0 without host GSO
    private int _pathMtuCap = int.MaxValue; // from ICMP "packet too big", in case the IP layer keeps no PMTU cache
    private bool _finQueued;
    private bool _finSent;
    private SeqNumber _smallSegmentEnd; // Minshall's variant of Nagle: end of the last sub-MSS segment sent

    // Receive sequence space.
    private SeqNumber _irs;
    private SeqNumber _rcvNxt;
    private SeqNumber _rcvAdvertisedEdge;
    private SeqNumber _lastAckSent;
    private int _rcvWndShift;
    private int _advertisedMss;
    private int _rcvMss;
    private bool _finReceived;
    private bool _outOfOrderFin;
    private SeqNumber _outOfOrderFinSeq;

    // Negotiated options.
    private bool _sackEnabled;
    private bool _timestampsEnabled;
    private uint _tsOffset;
    private uint _tsRecent;
    private long _tsRecentMs;

    // Loss recovery (RFC 6675 with RFC 6582 when the peer has no SACK).
    private RecoveryState _recovery;
    private SeqNumber _recoveryPoint;
    private SeqNumber _highRxt;
    private SeqNumber _lossHigh;
    private int _dupAcks;
    private bool _retransmitFirstLost;
    private bool _cwndLimited;
    private bool _rttTiming;
    private SeqNumber _rttSeq;
    private long _rttStartUs;
    private long _lastSendMs = long.MinValue;
    private long _lastNeighborConfirmMs = long.MinValue;

    // Acknowledgment state.
    private int _unackedBytes;
    private bool _ackNow;
    private int _quickAcks = MaxQuickAcks;
    private long _lastInvalidAckMs = long.MinValue;

    // Timers (deadlines in stack milliseconds; a wheel callback earlier than its deadline re-arms).
    private TimerKind _timerKind;
    private long _timerDeadlineMs;
    private int _synRetransmits;
    private int _rtoExpiries;       // consecutive retransmission timeouts without forward progress
    private int _persistProbes;
    private long _delayedAckDeadlineMs;
    private long _lastReceiveMs;
    private int _keepaliveProbes;
    private long _firstUnackedSendMs = -1;

    // Application side.
    private TcpipError _error;
    private TcpipError _softError;
    private bool _userClosed;
    private bool _receiveShutdown;
    private int _readBusy;
    private int _writeBusy;

    // Statistics.
    private long _bytesSent;
    private long _bytesAcked;
    private long _bytesReceived;
    private long _segmentsSent;
    private long _segmentsReceived;
    private long _retransmits;
    private long _timeouts;
    private long _fastRecoveries;

    private TcpEndpoint(TcpProtocol protocol, TcpConnectionSettings settings)
    {
        _protocol = protocol;
        _stack = protocol.Stack;
        _settings = settings;
        var options = protocol.Options;
        _rtt = new RttEstimator(options.MinRetransmitTimeout, options.MaxRetransmitTimeout, options.InitialRetransmitTimeout);
        _sendBuffer = new SendBuffer(ChunkPool.Shared);
        _receiveQueue = new ReceiveQueue(ChunkPool.Shared);
        _outOfOrder = new OutOfOrderQueue(Math.Max(64, settings.ReceiveBufferSize / 1024), ChunkPool.Shared);
        _cc = CongestionControl.Create(settings.CongestionControl, 536, 536 * options.InitialCongestionWindow);
        _retransmitTimer = new WheelTimer(_stack.Timers, static s => ((TcpEndpoint)s!).OnRetransmitTimer(), this);
        _delayedAckTimer = new WheelTimer(_stack.Timers, static s => ((TcpEndpoint)s!).OnDelayedAckTimer(), this);
        _keepaliveTimer = new WheelTimer(_stack.Timers, static s => ((TcpEndpoint)s!).OnKeepaliveTimer(), this);
        Hash = (uint)Random.Shared.Next() ^ ((uint)Random.Shared.Next() << 16);
        protocol.OnEndpointCreated();
    }

    /// <summary>Random per connection: picks the fd on a multi-fd link, so one connection's segments stay in order.</summary>
    public uint Hash { get; }

    /// <summary>The connection's four-tuple, from this host's side.</summary>
    public TransportEndpointId Id => _id;

    /// <summary>The protocol.</summary>
    public TcpProtocol Protocol => _protocol;

    /// <summary>The NIC the connection's route uses (0 when unknown).</summary>
    public int NicId => _route?.Nic.Id ?? 0;

    /// <summary>The current state (TIME-WAIT while the compact endpoint that took over is waiting).</summary>
    public TcpState State
    {
        get
        {
            using (Enter())
            {
                return ReportedState;
            }
        }
    }

    /// <summary>Bytes received and not yet read (what <c>Socket.Available</c> reports).</summary>
    public int Available
    {
        get
        {
            using (Enter())
            {
                return _receiveQueue.Length;
            }
        }
    }

    private TcpState ReportedState => _state == TcpState.Closed && _timeWait is { IsActive: true } ? TcpState.TimeWait : _state;

    /// <summary>The error that ended the connection, if any.</summary>
    public TcpipError Error
    {
        get
        {
            using (Enter())
            {
                return _error;
            }
        }
    }

    private enum RecoveryState : byte
    {
        Open,
        Fast,
        Loss,
    }

    private enum TimerKind : byte
    {
        None,
        Retransmit,
        Persist,
        FinWait2,
    }

    private readonly record struct BatchEntry(SeqNumber Seq, int Length, bool NewData);

    /// <summary>Data sequence space in use: the send buffer starts at SND.UNA once the SYN is acknowledged.</summary>
    private SeqNumber DataEnd => _sndUna + _sendBuffer.Length;

    private bool IsSynchronized => _state is not (TcpState.Closed or TcpState.Listen or TcpState.SynSent);

    private bool CanSendData => _state is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck;

    /// <summary>Starts an active open: reserves the port, registers, sends the SYN (RFC 9293 section 3.10.1).</summary>
    public static TcpipError Connect(TcpProtocol protocol, TcpConnectionSettings settings, Address remote, ushort remotePort, Address local, ushort localPort, int nicId, out TcpEndpoint? endpoint)
    {
        endpoint = null;
        var stack = protocol.Stack;
        var error = stack.FindRoute(remote, out var route, local, nicId);
        if (error != TcpipError.None || route is null)
        {
            return error == TcpipError.None ? TcpipError.NetworkUnreachable : error;
        }
        if (route.IsMulticastOrBroadcast)
        {
            return TcpipError.NetworkUnreachable;
        }
        var localAddress = route.LocalAddress;
        error = stack.Ports.Reserve(TcpProtocol.ProtocolNumber, localAddress, localPort, reuse: false, out ushort port);
        if (error != TcpipError.None)
        {
            return error;
        }
        var ep = new TcpEndpoint(protocol, settings);
        using (ep.Enter())
        {
            ep._portReserved = true;
            ep._id = new TransportEndpointId(port, localAddress, remotePort, remote);
            ep._route = route;
            ep._routeGeneration = stack.RoutingGeneration;
            error = stack.Demuxer.Register(TcpProtocol.ProtocolNumber, ep._id, ep);
            if (error != TcpipError.None)
            {
                ep.ReleaseResources();
                return error;
            }
            ep._registered = true;
            ep.InitializeSendSide(protocol.Secrets.InitialSequenceNumber(ep._id, protocol.NowUs));
            ep._state = TcpState.SynSent;
            protocol.Stats.ActiveOpens.Increment();
            ep.SendSyn();
            ep.ArmRetransmit();
            ep.FlushBatch();
        }
        endpoint = ep;
        return TcpipError.None;
    }

    /// <summary>
    /// Creates the connection for a SYN a listener accepted and answers it with a SYN-ACK
    /// (RFC 9293 section 3.10.7.2). Returns null when the four-tuple is already taken.
    /// </summary>
    internal static TcpEndpoint? CreatePassive(TcpListenEndpoint listener, Nic nic, in TransportEndpointId id, in TcpSegment syn)
    {
        var protocol = listener.Protocol;
        if (protocol.Routes.FindRoute(id.RemoteAddress, out var route, id.LocalAddress, nic.Id) != TcpipError.None || route is null)
        {
            return null;
        }
        var ep = new TcpEndpoint(protocol, listener.Settings);
        using (ep.Enter())
        {
            ep._id = id;
            ep._route = route;
            ep._routeGeneration = protocol.Stack.RoutingGeneration;
            if (!listener.AddHalfOpen(ep))
            {
                ep.ReleaseResources();
                return null;
            }
            ep._listener = listener;
            if (protocol.Stack.Demuxer.Register(TcpProtocol.ProtocolNumber, id, ep) != TcpipError.None)
            {
                ep._listener = null;
                listener.OnHalfOpenGone(ep);
                ep.ReleaseResources();
                return null;
            }
            ep._registered = true;
            ep.InitializeSendSide(protocol.Secrets.InitialSequenceNumber(id, protocol.NowUs));
            ep.AcceptSynOptions(syn);
            ep._irs = syn.Seq;
            ep._rcvNxt = syn.Seq + 1;
            ep._state = TcpState.SynReceived;
            protocol.Stats.PassiveOpens.Increment();
            ep.SendSyn();
            ep.ArmRetransmit();
            ep.FlushBatch();
        }
        return ep;
    }

    /// <summary>
    /// Creates an established connection from an ACK carrying a valid SYN cookie; the caller then hands the
    /// same segment to it. Returns null when the four-tuple is already taken.
    /// </summary>
    internal static TcpEndpoint? CreateFromCookie(TcpListenEndpoint listener, Nic nic, in TransportEndpointId id, in TcpSegment ack, int mss, int peerWindowScale, bool sackPermitted)
    {
        var protocol = listener.Protocol;
        if (protocol.Routes.FindRoute(id.RemoteAddress, out var route, id.LocalAddress, nic.Id) != TcpipError.None || route is null)
        {
            return null;
        }
        var ep = new TcpEndpoint(protocol, listener.Settings);
        using (ep.Enter())
        {
            ep._id = id;
            ep._route = route;
            ep._routeGeneration = protocol.Stack.RoutingGeneration;
            if (protocol.Stack.Demuxer.Register(TcpProtocol.ProtocolNumber, id, ep) != TcpipError.None)
            {
                ep.ReleaseResources();
                return null;
            }
            ep._registered = true;
            ep.InitializeSendSide(ack.Ack.Value - 1);
            ep._sndUna = ack.Ack;
            ep._sndNxt = ack.Ack;
            ep._irs = ack.Seq - 1;
            ep._rcvNxt = ack.Seq;
            ep._lastAckSent = ack.Seq;
            var options = protocol.Options;
            ep._timestampsEnabled = options.Timestamps && ack.Options.HasTimestamps;
            ep._sackEnabled = options.Sack && ep._timestampsEnabled && sackPermitted;
            bool scaling = options.WindowScaling && ep._timestampsEnabled && peerWindowScale >= 0;
            ep._sndWndShift = scaling ? peerWindowScale : 0;
            ep._rcvWndShift = scaling ? ep._rcvWndShift : 0;
            if (ep._timestampsEnabled)
            {
                ep._tsRecent = ack.Options.TimestampValue;
                ep._tsRecentMs = protocol.NowMs;
            }
            ep._peerMss = mss;
            ep.UpdateMss();
            ep._rcvAdvertisedEdge = ep._rcvNxt + Math.Min(ep.FreeReceiveSpace(), ushort.MaxValue << ep._rcvWndShift);
            ep._sndWnd = ack.Window << ep._sndWndShift;
            ep._maxSndWnd = ep._sndWnd;
            ep._sndWl1 = ack.Seq;
            ep._sndWl2 = ack.Ack;
            ep._state = TcpState.Established;
            ep._lastReceiveMs = protocol.NowMs;
            ep.ArmKeepalive();
            protocol.Stats.PassiveOpens.Increment();
        }
        return ep;
    }

    private void InitializeSendSide(uint iss)
    {
        _iss = new SeqNumber(iss);
        _sndUna = _iss;
        _sndNxt = _iss + 1;
        _recoveryPoint = _iss;
        _highRxt = _iss;
        _lossHigh = _iss;
        _smallSegmentEnd = _iss;
        _tsOffset = _protocol.Secrets.TimestampOffset(_id);
        _rcvWndShift = _protocol.Options.WindowScaling ? WindowShiftFor(_settings.ReceiveBufferSize) : 0;
        var route = _route!;
        int ipHeader = route.LocalAddress.IsV4 ? 20 : 40;
        _advertisedMss = Math.Clamp(route.Mtu - ipHeader - TcpHeader.MinimumSize, 64, ushort.MaxValue);
        _rcvMss = Math.Min(_advertisedMss, 536);
        _peerMss = route.LocalAddress.IsV4 ? 536 : 1220;
        UpdateMss();
        _rcvAdvertisedEdge = default;
    }

    /// <summary>The smallest window shift that lets the window cover <paramref name="bufferSize"/> (RFC 7323 2.3: at most 14), and at least 7 as Linux announces, so a buffer may grow later.</summary>
    internal static int WindowShiftFor(int bufferSize)
    {
        int shift = 0;
        while (shift < 14 && (65535L << shift) < bufferSize)
        {
            shift++;
        }
        return Math.Max(shift, 7);
    }

    /// <summary>Takes the peer's SYN options (RFC 9293 3.7.1 MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK).</summary>
    private void AcceptSynOptions(in TcpSegment syn)
    {
        var options = _protocol.Options;
        var o = syn.Options;
        if (o.HasMss && o.Mss > 0)
        {
            _peerMss = o.Mss;
        }
        if (options.WindowScaling && o.HasWindowScale)
        {
            _sndWndShift = Math.Min((int)o.WindowScale, 14);
        }
        else
        {
            _sndWndShift = 0;
            _rcvWndShift = 0;
        }
        _sackEnabled = options.Sack && o.SackPermitted;
        _timestampsEnabled = options.Timestamps && o.HasTimestamps;
        if (_timestampsEnabled)
        {
            _tsRecent = o.TimestampValue;
            _tsRecentMs = _protocol.NowMs;
        }
        UpdateMss();
    }

    /// <summary>Recomputes the send MSS from the peer's MSS, the path MTU and the options every data segment carries.</summary>
    private void UpdateMss()
    {
        var route = _route!;
        int ipHeader = route.LocalAddress.IsV4 ? 20 : 40;
        int pathMss = Math.Min(route.Mtu, _pathMtuCap) - ipHeader - TcpHeader.MinimumSize;
        int mss = Math.Min(_peerMss, pathMss) - (_timestampsEnabled ? TcpOptionWriter.TimestampsLength : 0);
        _sndMss = Math.Max(mss, 48);
        _cc.Mss = _sndMss;
        bool gso = !route.IsLocal && (route.Capabilities & LinkCapabilities.HardwareGso) != 0 && route.Nic.Link.GsoMaxSize > _sndMss;
        if (gso)
        {
            int headers = ipHeader + TcpHeader.MinimumSize + TcpOptionWriter.Length(_timestampsEnabled, 4);
            int max = Math.Min(route.Nic.Link.GsoMaxSize, ushort.MaxValue) - headers;
            _gsoMaxPayload = max / _sndMss * _sndMss;
        }
        else
        {
            _gsoMaxPayload = 0;
        }
    }

    /// <summary>
    /// Looks the route up again when routes, addresses or NICs changed since it was found (the stack's
    /// routing generation moved), as Linux revalidates a socket's cached dst: a better route or a changed MTU
    /// is taken up. The local address stays. When no route is left the old one stays too, and its sends fail
    /// until the connection times out.
    /// </summary>
    private void RevalidateRoute()
    {
        long generation = _stack.RoutingGeneration;
        if (generation == _routeGeneration || _route is null)
        {
            return;
        }
        _routeGeneration = generation;
        int nicId = _id.RemoteAddress.IsLinkLocalUnicast ? _route.Nic.Id : 0;
        if (_stack.FindRoute(_id.RemoteAddress, out var route, _id.LocalAddress, nicId) == TcpipError.None && route is not null)
        {
            _route = route;
            UpdateMss();
        }
        else
        {
            _softError = TcpipError.NetworkUnreachable;
        }
    }

    /// <summary>
    /// Enters CLOSED: stops the timers, leaves the demultiplexer, gives the port and the buffers back, and
    /// wakes every waiter. Data already received stays readable until the application lets go.
    /// </summary>
    private void EnterClosed()
    {
        if (_state == TcpState.Closed && _released)
        {
            return;
        }
        var previous = _state;
        _state = TcpState.Closed;
        if (previous == TcpState.SynReceived && _listener is { } listener)
        {
            _listener = null;
            listener.OnHalfOpenGone(this);
        }
        ReleaseResources();
        _readSignal.Set();
        _writeSignal.Set();
        _stateSignal.Set();
    }

    private void ReleaseResources()
    {
        // Segments already built (a final RST or ACK) still go out.
        if (_route is not null)
        {
            FlushBatch();
        }
        _timerKind = TimerKind.None;
        _retransmitTimer.Cancel();
        _delayedAckTimer.Cancel();
        _keepaliveTimer.Cancel();
        if (_registered)
        {
            _registered = false;
            _stack.Demuxer.Unregister(TcpProtocol.ProtocolNumber, _id, this);
        }
        if (_portReserved)
        {
            _portReserved = false;
            _stack.Ports.Release(TcpProtocol.ProtocolNumber, _id.LocalAddress, _id.LocalPort);
        }
        _sendBuffer.Clear();
        _outOfOrder.Clear();
        _scoreboard.Clear();
        if (_userClosed)
        {
            _receiveQueue.Clear();
        }
        if (!_released)
        {
            _released = true;
            _protocol.OnEndpointReleased();
        }
    }

    /// <summary>Ends the connection with <paramref name="error"/> (no RST sent).</summary>
    private void Fail(TcpipError error)
    {
        if (_error == TcpipError.None)
        {
            _error = error;
        }
        EnterClosed();
    }

    /// <summary>
    /// TIME-WAIT: a compact <see cref="TcpTimeWaitEndpoint"/> takes over the four-tuple (and the port) and this
    /// connection closes, releasing its buffers and timers at once (as Linux hands a socket to an
    /// <c>inet_timewait_sock</c>). Data received and not yet read stays readable.
    /// </summary>
    private void EnterTimeWait()
    {
        if (_ackNow)
        {
            // The ACK of the peer's FIN goes out before this connection lets go of everything.
            SendAck();
        }
        if (_protocol.Options.TimeWaitDuration > TimeSpan.Zero && _registered)
        {
            int window = Math.Min(Math.Max(0, _rcvAdvertisedEdge - _rcvNxt) >> _rcvWndShift, ushort.MaxValue);
            var handover = new TcpTimeWaitEndpoint.Handover(_id, _sndNxt, _rcvNxt, (ushort)window, NicId, Hash,
                _timestampsEnabled, _tsOffset, _tsRecent, _tsRecentMs, _portReserved);
            _timeWait = TcpTimeWaitEndpoint.Replace(_protocol, this, handover);
            if (_timeWait is not null)
            {
                _registered = false;
                _portReserved = false;
            }
        }
        EnterClosed();
    }

    /// <inheritdoc/>
    public override string ToString() => $"tcp {_id} {_state}";
}
