using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Transport.Tcp;

/// <summary>Segment arrival (RFC 9293 section 3.10.7): SYN-SENT and the synchronized states.</summary>
internal sealed partial class TcpEndpoint
{
    /// <inheritdoc/>
    /// <remarks>Never waits for the connection's lock: when it is held, the segment goes to the backlog.</remarks>
    public void HandlePacket(Nic nic, in TransportEndpointId id, PacketBuffer packet)
    {
        if (!_protocol.TryParse(nic, packet, out var segment))
        {
            return;
        }
        if (!TryEnterFromProtocol())
        {
            Backlog(new BacklogEntry(nic, segment, default));
            return;
        }
        try
        {
            ProcessSegment(nic, segment);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>One segment, under the lock. A bug here aborts the connection rather than escaping to the receive thread.</summary>
    private void ProcessSegment(Nic nic, in TcpSegment segment)
    {
        try
        {
            if (_state == TcpState.Closed)
            {
                // Lost a race with our own close: the segment is as good as unmatched.
                _protocol.Stats.DroppedClosed.Increment();
                _protocol.HandleUnmatched(nic, segment.Packet, _id);
                return;
            }
            _segmentsReceived++;
            _lastReceiveMs = _protocol.NowMs;
            _keepaliveProbes = 0;
            _persistProbes = 0;
            switch (_state)
            {
                case TcpState.SynSent:
                    ProcessSynSent(segment);
                    break;
                default:
                    ProcessSynchronized(segment);
                    break;
            }
            if (_state != TcpState.Closed)
            {
                Output();
                if (_unackedBytes > 0 && !_ackNow)
                {
                    ArmDelayedAck();
                }
            }
            FlushBatch();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            OnInternalFault(e);
        }
    }

    /// <inheritdoc/>
    public void HandleError(in TransportEndpointId id, TransportError error)
    {
        if (!TryEnterFromProtocol())
        {
            Backlog(new BacklogEntry(null, default, error));
            return;
        }
        try
        {
            HandleErrorLocked(error);
        }
        finally
        {
            Leave();
        }
    }

    private void HandleErrorLocked(TransportError error)
    {
        try
        {
            // RFC 5927 4.1 (Linux's tcp_v4_err): the error must quote a sequence number we have in flight
            // (SND.UNA to SND.NXT), or it may be a blind attack; one quoting too little cannot be checked.
            if (error.QuotedWord < 0 || _state == TcpState.Closed || !new SeqNumber((uint)error.QuotedWord).InRange(_sndUna, _sndNxt + 1))
            {
                _protocol.Stats.DroppedIcmpOutOfWindow.Increment();
                return;
            }
            switch (error.Kind)
            {
                case TransportErrorKind.PacketTooBig:
                    // RFC 1191 / 8201: the path MTU fell; resend what is outstanding in smaller segments.
                    if (_route is not null && _state != TcpState.Closed)
                    {
                        if (error.Info >= (_id.LocalAddress.IsV4 ? 68 : 1280))
                        {
                            _pathMtuCap = Math.Min(_pathMtuCap, error.Info);
                        }
                        int before = _sndMss;
                        UpdateMss();
                        if (_sndMss < before && _sndNxt != _sndUna)
                        {
                            _highRxt = _sndUna;
                            _recovery = RecoveryState.Loss;
                            _recoveryPoint = _sndNxt;
                            _lossHigh = _sndNxt;
                            Output();
                        }
                    }
                    break;
                case TransportErrorKind.PortUnreachable:
                case TransportErrorKind.ProtocolUnreachable:
                case TransportErrorKind.HostUnreachable:
                case TransportErrorKind.NetworkUnreachable:
                case TransportErrorKind.Prohibited:
                    // Hard errors abort a connection attempt (as Linux does); on an open connection they are
                    // soft (RFC 5927 section 4.1): remembered in case the connection times out.
                    var mapped = MapIcmp(error.Kind);
                    if (_state == TcpState.SynSent)
                    {
                        _protocol.Stats.FailedConnects.Increment();
                        Fail(mapped);
                    }
                    else
                    {
                        _softError = mapped;
                    }
                    break;
            }
            FlushBatch();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            OnInternalFault(e);
        }
    }

    private static TcpipError MapIcmp(TransportErrorKind kind) => kind switch
    {
        TransportErrorKind.PortUnreachable => TcpipError.ConnectionRefused,
        TransportErrorKind.ProtocolUnreachable => TcpipError.ConnectionRefused,
        TransportErrorKind.NetworkUnreachable => TcpipError.NetworkUnreachable,
        TransportErrorKind.Prohibited => TcpipError.HostUnreachable,
        _ => TcpipError.HostUnreachable,
    };

    /// <summary>RFC 9293 3.10.7.3: SYN-SENT.</summary>
    private void ProcessSynSent(in TcpSegment seg)
    {
        bool hasAck = seg.Has(TcpFlags.Ack);
        if (hasAck && (seg.Ack.LessThanEq(_iss) || seg.Ack.GreaterThan(_sndNxt)))
        {
            if (!seg.Has(TcpFlags.Rst))
            {
                AddSegment(seg.Ack, 0, TcpFlags.Rst, newData: false);
                _protocol.Stats.ResetsSent.Increment();
            }
            return;
        }
        if (seg.Has(TcpFlags.Rst))
        {
            if (hasAck)
            {
                _protocol.Stats.ResetsReceived.Increment();
                _protocol.Stats.FailedConnects.Increment();
                Fail(TcpipError.ConnectionRefused);
            }
            return;
        }
        if (!seg.Has(TcpFlags.Syn))
        {
            return;
        }
        _irs = seg.Seq;
        _rcvNxt = seg.Seq + 1;
        _lastAckSent = _rcvNxt;
        AcceptSynOptions(seg);
        if (!hasAck)
        {
            // Simultaneous open: answer with SYN-ACK and wait in SYN-RECEIVED.
            _state = TcpState.SynReceived;
            _synRetransmits = 0;
            SendSyn();
            ArmRetransmit();
            return;
        }
        TakeSynRttSample();
        _sndUna = seg.Ack;
        // RFC 7323 2.2: the window of a segment with SYN is never scaled.
        _sndWnd = seg.Window;
        _maxSndWnd = _sndWnd;
        _sndWl1 = seg.Seq;
        _sndWl2 = seg.Ack;
        EnterEstablished();
        _ackNow = true;
        if (seg.DataLength > 0 || seg.Has(TcpFlags.Fin))
        {
            // Data on a SYN-ACK: process it as in ESTABLISHED, the SYN's sequence number aside.
            var rest = seg;
            rest.Seq = seg.Seq + 1;
            rest.Flags &= ~TcpFlags.Syn;
            ProcessText(rest);
        }
    }

    /// <summary>RFC 9293 3.10.7.4: every state from SYN-RECEIVED on.</summary>
    private void ProcessSynchronized(in TcpSegment seg)
    {
        var o = seg.Options;
        // RFC 7323 5.3 (PAWS): a segment with an older timestamp is an old duplicate. A RST passes, as in Linux.
        if (_timestampsEnabled && o.HasTimestamps && !seg.Has(TcpFlags.Rst) && TsRecentValid() && TimestampBefore(o.TimestampValue, _tsRecent))
        {
            _protocol.Stats.DroppedPaws.Increment();
            if (seg.DataLength > 0)
            {
                _ackNow = true;
            }
            else
            {
                SendRateLimitedAck(challenge: false);
            }
            return;
        }
        if (_state == TcpState.SynReceived && seg.Has(TcpFlags.Syn) && !seg.Has(TcpFlags.Ack | TcpFlags.Rst) && seg.Seq == _irs)
        {
            // The peer did not get our SYN-ACK: send it again, rate-limited as answers to old segments are
            // (Linux), and never timed for RTT (Karn: the ACK may answer either copy).
            if (AllowOutOfWindowAnswer(challenge: false))
            {
                SendSyn();
                _rttTiming = false;
            }
            return;
        }
        int window = Math.Max(0, _rcvAdvertisedEdge - _rcvNxt);
        if (!IsAcceptable(seg, window))
        {
            _protocol.Stats.DroppedOutOfWindow.Increment();
            if (!seg.Has(TcpFlags.Rst))
            {
                if (seg.DataLength > 0)
                {
                    _ackNow = true;
                }
                else
                {
                    SendRateLimitedAck(challenge: false);
                }
            }
            return;
        }
        if (seg.Has(TcpFlags.Rst))
        {
            // RFC 5961 3.2: only a RST at exactly RCV.NXT resets; one elsewhere in the window gets a challenge ACK.
            if (seg.Seq == _rcvNxt)
            {
                HandleReset();
            }
            else
            {
                SendRateLimitedAck(challenge: true);
            }
            return;
        }
        if (seg.Has(TcpFlags.Syn))
        {
            if (IsSimultaneousOpenSynAck(seg))
            {
                // Simultaneous open (RFC 9293 figure 7): the peer's SYN-ACK acknowledges our SYN. Linux takes it
                // as the handshake's ACK; RFC 5961's challenge ACK would cost a round trip or, with a peer that
                // stays quiet, a SYN-ACK retransmission. A SYN's window is never scaled (RFC 7323 2.2): the
                // field is rounded down to our unit, and the peer's next segment gives the exact value.
                var ack = seg;
                ack.Seq = seg.Seq + 1;
                ack.Flags &= ~TcpFlags.Syn;
                ack.Window = (ushort)(seg.Window >> _sndWndShift);
                _ackNow = true;
                ProcessSynchronized(ack);
                return;
            }
            // RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK, whatever its sequence number.
            SendRateLimitedAck(challenge: true);
            return;
        }
        if (!seg.Has(TcpFlags.Ack))
        {
            _protocol.Stats.DroppedNoAck.Increment();
            return;
        }
        if (_timestampsEnabled && o.HasTimestamps && seg.Seq.LessThanEq(_lastAckSent) && !TimestampBefore(o.TimestampValue, _tsRecent))
        {
            // RFC 7323 4.3: TS.Recent follows the segment that starts at or before the last ACK sent.
            _tsRecent = o.TimestampValue;
            _tsRecentMs = _protocol.NowMs;
        }
        if (_state == TcpState.SynReceived && !CompleteHandshake(seg))
        {
            return;
        }
        if (!ProcessAck(seg))
        {
            return;
        }
        bool finAcked = _finSent && _sndUna == _sndNxt;
        switch (_state)
        {
            case TcpState.FinWait1 when finAcked:
                _state = TcpState.FinWait2;
                _stateSignal.Set();
                if (_userClosed)
                {
                    ArmTimer(TimerKind.FinWait2, _protocol.Options.FinWait2Timeout);
                }
                break;
            case TcpState.Closing when finAcked:
                EnterTimeWait();
                return;
            case TcpState.LastAck when finAcked:
                EnterClosed();
                return;
        }
        ProcessText(seg);
    }

    /// <summary>The data and FIN of an acceptable segment (RFC 9293 3.10.7.4, seventh and eighth checks).</summary>
    private void ProcessText(in TcpSegment seg)
    {
        if (seg.DataLength > 0 && _state is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)
        {
            if (_userClosed)
            {
                // Nobody will read it: RST, as Linux does for data arriving after close (RFC 9293 3.10.4 note, RFC 2525 2.17).
                SendReset();
                Fail(TcpipError.ConnectionAborted);
                return;
            }
            ProcessData(seg);
        }
        if (seg.Has(TcpFlags.Fin) && _state != TcpState.Closed)
        {
            var finSeq = seg.Seq + seg.DataLength;
            if (finSeq == _rcvNxt)
            {
                AcceptFin();
            }
            else if (finSeq.LessThan(_rcvNxt))
            {
                // A FIN we already took: ACK it again.
                _ackNow = true;
            }
            else if (finSeq.LessThanEq(_rcvAdvertisedEdge) && !_finReceived)
            {
                _outOfOrderFin = true;
                _outOfOrderFinSeq = finSeq;
                _ackNow = true;
            }
        }
        if (_outOfOrderFin && _outOfOrderFinSeq == _rcvNxt && !_finReceived)
        {
            AcceptFin();
        }
    }

    /// <summary>In-order data to the receive queue, out-of-order data to its queue (trimmed to the window).</summary>
    private void ProcessData(in TcpSegment seg)
    {
        var seq = seg.Seq;
        int length = seg.DataLength;
        int offset = 0;
        if (seq.LessThan(_rcvNxt))
        {
            int duplicate = _rcvNxt - seq;
            if (duplicate >= length)
            {
                _ackNow = true;
                return;
            }
            offset = duplicate;
            length -= duplicate;
            seq = _rcvNxt;
        }
        int room = _rcvAdvertisedEdge - seq;
        if (room <= 0)
        {
            _protocol.Stats.DroppedOutOfWindow.Increment();
            _ackNow = true;
            return;
        }
        length = Math.Min(length, room);
        if (seg.DataLength > _rcvMss)
        {
            _rcvMss = Math.Min(seg.DataLength, _advertisedMss);
        }
        bool inOrder = seq == _rcvNxt;
        if (!TryChargeReceiveMemory(seg.Packet, offset, length, inOrder ? _rcvNxt : seq, out bool copy))
        {
            if (inOrder)
            {
                _protocol.Stats.DroppedReceiveMemory.Increment();
            }
            else
            {
                _protocol.Stats.DroppedOutOfOrderMemory.Increment();
            }
            _ackNow = true;
            return;
        }
        if (inOrder)
        {
            _receiveQueue.Append(seg.Packet, offset, length, copy);
            _rcvNxt += length;
            _bytesReceived += length;
            _unackedBytes += length;
            if (!_outOfOrder.IsEmpty)
            {
                var before = _rcvNxt;
                _rcvNxt = _outOfOrder.Drain(_rcvNxt, _receiveQueue);
                _bytesReceived += _rcvNxt - before;
                // RFC 5681 4.2: ACK at once when a segment fills (part of) a gap.
                _ackNow = true;
            }
            if (_unackedBytes >= 2 * _rcvMss || (_quickAcks > 0 && length >= _rcvMss))
            {
                _ackNow = true;
                if (_quickAcks > 0)
                {
                    _quickAcks--;
                }
            }
            WakeReader(seg.Has(TcpFlags.Psh));
        }
        else
        {
            if (!_outOfOrder.Insert(seq, seg.Packet, offset, length, copy))
            {
                _protocol.Stats.DroppedOutOfOrderFull.Increment();
            }
            // RFC 5681 4.2: an out-of-order segment is acknowledged at once (a duplicate ACK, with SACK).
            _ackNow = true;
        }
    }

    private void AcceptFin()
    {
        _finReceived = true;
        _outOfOrderFin = false;
        _rcvNxt += 1;
        _ackNow = true;
        _readSignal.Set();
        _stateSignal.Set();
        switch (_state)
        {
            case TcpState.SynReceived:
            case TcpState.Established:
                _state = TcpState.CloseWait;
                break;
            case TcpState.FinWait1:
                if (_finSent && _sndUna == _sndNxt)
                {
                    EnterTimeWait();
                }
                else
                {
                    _state = TcpState.Closing;
                }
                break;
            case TcpState.FinWait2:
                EnterTimeWait();
                break;
        }
    }

    /// <summary>SYN-RECEIVED: the ACK of our SYN-ACK. False when the segment ends here.</summary>
    private bool CompleteHandshake(in TcpSegment seg)
    {
        if (!seg.Ack.GreaterThan(_sndUna) || seg.Ack.GreaterThan(_sndNxt))
        {
            AddSegment(seg.Ack, 0, TcpFlags.Rst, newData: false);
            _protocol.Stats.ResetsSent.Increment();
            return false;
        }
        if (_listener is { } listener && !listener.TryReserveAcceptSlot())
        {
            // Accept queue full: ignore the ACK; our SYN-ACK retransmission will bring another (Linux, tcp_abort_on_overflow=0).
            _protocol.Stats.ListenOverflows.Increment();
            return false;
        }
        TakeSynRttSample();
        _sndUna = _iss + 1;
        _sndWnd = seg.Window << _sndWndShift;
        _maxSndWnd = _sndWnd;
        _sndWl1 = seg.Seq;
        _sndWl2 = seg.Ack;
        EnterEstablished();
        if (_listener is { } l)
        {
            _listener = null;
            l.OnEstablished(this);
        }
        return true;
    }

    private void HandleReset()
    {
        _protocol.Stats.ResetsReceived.Increment();
        switch (_state)
        {
            case TcpState.SynReceived:
                if (_listener is not null)
                {
                    // Passive open: back to LISTEN, which for us means forgetting the half-open connection.
                    EnterClosed();
                }
                else
                {
                    _protocol.Stats.FailedConnects.Increment();
                    Fail(TcpipError.ConnectionRefused);
                }
                break;
            case TcpState.Established:
            case TcpState.FinWait1:
            case TcpState.FinWait2:
                Fail(TcpipError.ConnectionReset);
                break;
            case TcpState.CloseWait:
                // The peer had finished sending: reads still end at its FIN, writes fail as Linux reports it (EPIPE).
                Fail(TcpipError.ClosedForSend);
                break;
            default:
                EnterClosed();
                break;
        }
    }

    private void EnterEstablished()
    {
        _state = TcpState.Established;
        _timerKind = TimerKind.None;
        _synRetransmits = 0;
        _firstUnackedSendMs = -1;
        var cc = CongestionControl.Create(_settings.CongestionControl, _sndMss, InitialWindow());
        _cc = cc;
        if (_rcvAdvertisedEdge == default || _rcvAdvertisedEdge.LessThan(_rcvNxt))
        {
            _rcvAdvertisedEdge = _rcvNxt + Math.Min(FreeReceiveSpace(), ushort.MaxValue);
        }
        _lastReceiveMs = _protocol.NowMs;
        ArmKeepalive();
        _stateSignal.Set();
        _writeSignal.Set();
    }

    private void TakeSynRttSample()
    {
        if (_synRetransmits == 0 && _rttTiming)
        {
            _rtt.AddSample(_protocol.NowUs - _rttStartUs);
        }
        else if (_synRetransmits > 0)
        {
            _rtt.UseConservativeInitialRto();
        }
        _rttTiming = false;
        _rtt.ResetBackoff();
    }

    /// <summary>
    /// Sequence acceptability, in Linux's form of the RFC 9293 test: the segment must reach at least the last
    /// acknowledged point and start no later than the window's right edge. Pure ACKs and zero-window probes
    /// therefore pass, so their ACK field is always processed (RFC 9293 asks for that allowance).
    /// </summary>
    private bool IsAcceptable(in TcpSegment seg, int window)
    {
        var end = seg.Seq + seg.SequenceLength;
        var leftEdge = SeqNumber.Min(_lastAckSent, _rcvNxt);
        return !end.LessThan(leftEdge) && !seg.Seq.GreaterThan(_rcvNxt + window);
    }

    /// <summary>A SYN-ACK without data that acknowledges our SYN while we are in SYN-RECEIVED after an active open.</summary>
    private bool IsSimultaneousOpenSynAck(in TcpSegment seg) =>
        _state == TcpState.SynReceived && _listener is null && seg.Has(TcpFlags.Ack) && !seg.Has(TcpFlags.Fin)
        && seg.DataLength == 0 && seg.Seq + 1 == _rcvNxt && seg.Ack == _sndNxt;

    /// <summary>TS.Recent is trusted for 24 days (RFC 7323 5.5).</summary>
    private bool TsRecentValid() => _protocol.NowMs - _tsRecentMs < 24L * 24 * 3600 * 1000;

    private static bool TimestampBefore(uint a, uint b) => unchecked((int)(a - b)) < 0;
}
