using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Stack.Timers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// A connection in TIME-WAIT (RFC 9293 3.6): only what the state needs (the four-tuple, both sequence
/// numbers, the timestamp state, one timer), a few hundred bytes instead of a whole connection, as Linux's
/// <c>inet_timewait_sock</c>. It takes the connection's place in the demultiplexer (and its port, after an
/// active open) for <see cref="TcpProtocolOptions.TimeWaitDuration"/>. Its rules are Linux's
/// (<c>tcp_timewait_state_process</c>): a bare ACK or a RST at RCV.NXT is in window (the RST ends the state,
/// RFC 1337's protection being off by default there too); a SYN with a newer timestamp or a higher sequence
/// number starts a new incarnation (RFC 6191); everything else, a retransmitted FIN first of all, is
/// acknowledged, at most once per <see cref="TcpProtocolOptions.InvalidSegmentAckInterval"/>.
/// </summary>
internal sealed class TcpTimeWaitEndpoint : ITransportEndpoint
{
    private readonly TcpProtocol _protocol;
    private readonly TransportEndpointId _id;
    private readonly Lock _gate = new();
    private readonly WheelTimer _timer;
    private readonly SeqNumber _sndNxt;
    private readonly SeqNumber _rcvNxt;
    private readonly ushort _window;
    private readonly int _nicId;
    private readonly uint _hash;
    private readonly bool _timestamps;
    private readonly uint _tsOffset;
    private uint _tsRecent;
    private long _tsRecentMs;
    private long _deadlineMs;
    private long _lastAnswerMs = long.MinValue;
    private bool _portReserved;
    private volatile bool _closed;

    /// <summary>The state of a connection entering TIME-WAIT, handed over by it.</summary>
    internal readonly record struct Handover(
        TransportEndpointId Id, SeqNumber SndNxt, SeqNumber RcvNxt, ushort Window, int NicId, uint Hash,
        bool Timestamps, uint TsOffset, uint TsRecent, long TsRecentMs, bool PortReserved);

    private TcpTimeWaitEndpoint(TcpProtocol protocol, in Handover state)
    {
        _protocol = protocol;
        _id = state.Id;
        _sndNxt = state.SndNxt;
        _rcvNxt = state.RcvNxt;
        _window = state.Window;
        _nicId = state.NicId;
        _hash = state.Hash;
        _timestamps = state.Timestamps;
        _tsOffset = state.TsOffset;
        _tsRecent = state.TsRecent;
        _tsRecentMs = state.TsRecentMs;
        _portReserved = state.PortReserved;
        _timer = new WheelTimer(protocol.Stack.Timers, static s => ((TcpTimeWaitEndpoint)s!).OnTimer(), this);
        protocol.OnEndpointCreated();
    }

    /// <summary>False once the wait ended (expired, reset, or taken over by a new connection).</summary>
    public bool IsActive => !_closed;

    /// <summary>
    /// Puts a TIME-WAIT endpoint in place of <paramref name="connection"/> (registered for the same id).
    /// Null when the connection was not registered; the caller then simply closes.
    /// </summary>
    internal static TcpTimeWaitEndpoint? Replace(TcpProtocol protocol, ITransportEndpoint connection, in Handover state)
    {
        var tw = new TcpTimeWaitEndpoint(protocol, state);
        lock (tw._gate)
        {
            if (!protocol.Stack.Demuxer.Replace(TcpProtocol.ProtocolNumber, state.Id, connection, tw))
            {
                tw._portReserved = false;
                tw.CloseLocked(unregister: false);
                return null;
            }
            tw.Restart();
        }
        protocol.Stats.TimeWaits.Increment();
        return tw;
    }

    /// <inheritdoc/>
    public void HandlePacket(Nic nic, in TransportEndpointId id, PacketBuffer packet)
    {
        if (!_protocol.TryParse(nic, packet, out var seg))
        {
            return;
        }
        bool deliverAgain;
        lock (_gate)
        {
            // After the wait ended (a race with its end), the segment goes to whoever has the id now.
            deliverAgain = _closed || Process(seg);
        }
        if (deliverAgain && !_protocol.Stack.Demuxer.Deliver(nic, TcpProtocol.ProtocolNumber, packet, _id))
        {
            _protocol.HandleUnmatched(nic, packet, _id);
        }
    }

    /// <inheritdoc/>
    public void HandleError(in TransportEndpointId id, TransportError error)
    {
    }

    /// <summary>One segment; true when the wait ended for a new incarnation and the segment must be delivered again.</summary>
    private bool Process(in TcpSegment seg)
    {
        var o = seg.Options;
        bool rst = seg.Has(TcpFlags.Rst);
        // RFC 7323 5.3 (PAWS), as Linux applies it here: a RST with an old timestamp passes only once TS.Recent is stale.
        bool pawsReject = _timestamps && o.HasTimestamps && TimestampBefore(o.TimestampValue, _tsRecent)
            && _protocol.NowMs - _tsRecentMs < (rst ? 60_000 : 24L * 24 * 3600 * 1000);
        if (!pawsReject && seg.Seq == _rcvNxt && (seg.SequenceLength == 0 || rst))
        {
            if (rst)
            {
                _protocol.Stats.ResetsReceived.Increment();
                CloseLocked(unregister: true);
                return false;
            }
            // A bare ACK in window: nothing to say; the wait starts again.
            if (_timestamps && o.HasTimestamps)
            {
                _tsRecent = o.TimestampValue;
                _tsRecentMs = _protocol.NowMs;
            }
            Restart();
            return false;
        }
        if ((seg.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst | TcpFlags.Fin)) == TcpFlags.Syn && !pawsReject
            && (seg.Seq.GreaterThan(_rcvNxt) || (_timestamps && o.HasTimestamps && TimestampBefore(_tsRecent, o.TimestampValue))))
        {
            // RFC 6191 / RFC 9293 3.6.1: a new incarnation takes the four-tuple over.
            _protocol.Stats.TimeWaitTakeovers.Increment();
            CloseLocked(unregister: true);
            return true;
        }
        if (pawsReject)
        {
            _protocol.Stats.DroppedPaws.Increment();
        }
        if (rst)
        {
            return false;
        }
        if (pawsReject || seg.Has(TcpFlags.Ack))
        {
            Restart();
        }
        // A retransmitted FIN (our ACK was lost), an old duplicate, an old SYN: acknowledge, rate-limited.
        long now = _protocol.NowMs;
        if (_lastAnswerMs != long.MinValue && now - _lastAnswerMs < (long)_protocol.Options.InvalidSegmentAckInterval.TotalMilliseconds)
        {
            _protocol.Stats.RateLimitedAnswers.Increment();
            return false;
        }
        _lastAnswerMs = now;
        SendAck();
        return false;
    }

    private void SendAck()
    {
        if (_protocol.Routes.FindRoute(_id.RemoteAddress, out var route, _id.LocalAddress, _nicId) != TcpipError.None || route is null)
        {
            return;
        }
        int headerLength = TcpHeader.MinimumSize + TcpOptionWriter.Length(_timestamps, 0);
        var packet = PacketBuffer.Rent(route.MaxHeaderLength + headerLength);
        try
        {
            var header = packet.PushHeader(HeaderKind.Transport, headerLength);
            TcpHeader.Encode(header, new TcpFields(_id.LocalPort, _id.RemotePort, _sndNxt.Value, _rcvNxt.Value, TcpFlags.Ack, _window), headerLength);
            if (_timestamps)
            {
                TcpOptionWriter.WriteTimestamps(header[TcpHeader.MinimumSize..], unchecked((uint)_protocol.NowMs + _tsOffset), _tsRecent);
            }
            TcpProtocol.FinishChecksum(packet, route, headerLength, 0, 0);
            packet.TransportProtocol = TcpProtocol.ProtocolNumber;
            packet.Hash = _hash;
            if (route.WritePacket(packet, new NetworkHeaderParams(TcpProtocol.ProtocolNumber, DontFragment: true)) == TcpipError.None)
            {
                _protocol.Stats.SegmentsSent.Increment();
            }
        }
        finally
        {
            packet.Release();
        }
    }

    /// <summary>(Re)starts the 2 MSL wait. The wheel is re-armed only when the deadline moves earlier (it never does).</summary>
    private void Restart()
    {
        long now = _protocol.NowMs;
        var wait = _protocol.Options.TimeWaitDuration;
        _deadlineMs = now + Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds));
        if (!_timer.IsScheduled)
        {
            Arm(TimeSpan.FromMilliseconds(_deadlineMs - now));
        }
    }

    private void Arm(TimeSpan delay)
    {
        try
        {
            _timer.Schedule(delay);
        }
        catch (ObjectDisposedException)
        {
            // The stack is being disposed: no timer, nothing left to wait for.
        }
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            long now = _protocol.NowMs;
            if (now < _deadlineMs)
            {
                Arm(TimeSpan.FromMilliseconds(_deadlineMs - now));
                return;
            }
            CloseLocked(unregister: true);
        }
    }

    private void CloseLocked(bool unregister)
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        _timer.Cancel();
        if (unregister)
        {
            _protocol.Stack.Demuxer.Unregister(TcpProtocol.ProtocolNumber, _id, this);
        }
        if (_portReserved)
        {
            _portReserved = false;
            _protocol.Stack.Ports.Release(TcpProtocol.ProtocolNumber, _id.LocalAddress, _id.LocalPort);
        }
        _protocol.OnEndpointReleased();
    }

    private static bool TimestampBefore(uint a, uint b) => unchecked((int)(a - b)) < 0;

    /// <inheritdoc/>
    public override string ToString() => $"tcp {_id} TIME-WAIT";
}
