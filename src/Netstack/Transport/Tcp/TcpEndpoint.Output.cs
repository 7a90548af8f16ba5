using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Transport.Tcp;

/// <summary>Sending: what may go out now (windows, Nagle, loss recovery) and how a segment is built.</summary>
internal sealed partial class TcpEndpoint
{
    /// <summary>
    /// Sends what the windows allow: lost data first (RFC 6675 NextSeg rule 1), then new data (rule 2) with
    /// sender silly-window avoidance (RFC 9293 3.8.6.2.1) and Nagle (Minshall's variant, as Linux), then a
    /// pure ACK if one is owed and nothing carried it.
    /// </summary>
    private void Output()
    {
        RevalidateRoute();
        if (CanSendData)
        {
            SendData();
        }
        if (_ackNow && _state != TcpState.Closed && _state != TcpState.SynSent)
        {
            SendAck();
        }
    }

    private void SendData()
    {
        int mss = EffectiveMss();
        // Without GSO a packet carries one segment, which the SACK blocks we may add make smaller.
        int maxPayload = _gsoMaxPayload > _sndMss ? _gsoMaxPayload : mss;
        _cwndLimited = false;
        while (true)
        {
            int pipe = Pipe();
            // With nothing in flight one full segment may always go, whatever the window says: no ACK is coming
            // to open it, and a window below one segment would otherwise hold the data for good.
            int cwndRoom = pipe > 0 ? _cc.Cwnd - pipe : Math.Max(_cc.Cwnd, mss);
            if (_recovery != RecoveryState.Open && NextLost(out var holeStart, out int holeLength))
            {
                // RFC 6675 5 (4.3): the first retransmission of a recovery goes whatever the window says.
                bool first = _retransmitFirstLost;
                _retransmitFirstLost = false;
                if (!first && cwndRoom < Math.Min(mss, holeLength) && pipe > 0)
                {
                    _cwndLimited = true;
                    return;
                }
                int length = Math.Min(holeLength, Math.Min(Math.Max(cwndRoom, mss), maxPayload));
                Retransmit(holeStart, length);
                _highRxt = holeStart + length;
                continue;
            }
            int unsent = DataEnd - _sndNxt;
            bool finPending = _finQueued && !_finSent;
            if (unsent <= 0)
            {
                if (finPending)
                {
                    // A FIN takes no window space; it goes when the data before it has gone.
                    TransmitNew(_sndNxt, 0, fin: true);
                }
                return;
            }
            int inFlight = _sndNxt - _sndUna;
            int windowRoom = _sndWnd - inFlight;
            int room = Math.Min(windowRoom, cwndRoom);
            int length2 = Math.Min(unsent, Math.Min(room, maxPayload));
            if (length2 <= 0)
            {
                if (windowRoom <= 0)
                {
                    if (inFlight == 0)
                    {
                        ArmPersist();
                    }
                }
                else
                {
                    _cwndLimited = true;
                }
                return;
            }
            if (length2 < unsent)
            {
                if (length2 < mss)
                {
                    if (windowRoom <= cwndRoom)
                    {
                        // Sender SWS avoidance: a window fragment is worth sending only when it is at least
                        // half the largest window the peer offered; otherwise wait. With nothing in flight to
                        // bring an update, the persist timer is the override timeout (RFC 9293 3.8.6.2.1):
                        // when it fires, the fragment goes (as Linux's tcp_write_wakeup sends what fits).
                        if ((length2 < _maxSndWnd / 2 || inFlight > 0) && !(_swsOverride && inFlight == 0))
                        {
                            if (inFlight == 0)
                            {
                                ArmPersist();
                            }
                            return;
                        }
                    }
                    else
                    {
                        _cwndLimited = true;
                        return;
                    }
                }
                else
                {
                    length2 -= length2 % mss;
                }
            }
            else if (length2 < mss && !_settings.NoDelay && !finPending && _smallSegmentEnd.GreaterThan(_sndUna))
            {
                // Nagle (Minshall): hold a short tail while an earlier short segment is unacknowledged.
                return;
            }
            bool fin = _finQueued && length2 == unsent;
            TransmitNew(_sndNxt, length2, fin);
        }
    }

    /// <summary>Sends new data (and FIN) at SND.NXT and advances it.</summary>
    private void TransmitNew(SeqNumber seq, int length, bool fin)
    {
        var flags = TcpFlags.Ack;
        if (length > 0 && seq + length == DataEnd)
        {
            flags |= TcpFlags.Psh;
        }
        if (fin)
        {
            flags |= TcpFlags.Fin;
            _finSent = true;
        }
        long nowMs = _protocol.NowMs;
        if (_sndNxt == _sndUna && _lastSendMs != long.MinValue && nowMs - _lastSendMs > _rtt.RtoUs / 1000)
        {
            // RFC 5681 4.1: restart from the initial window after an idle period longer than the RTO.
            _cc.OnIdleRestart(InitialWindow());
        }
        if (!_rttTiming && length > 0)
        {
            _rttTiming = true;
            _rttSeq = seq + length;
            _rttStartUs = _protocol.NowUs;
        }
        if (length > 0 && length % EffectiveMss() != 0)
        {
            // A short segment (or a GSO packet ending in one), for Nagle.
            _smallSegmentEnd = seq + length;
        }
        _sndNxt = seq + length + (fin ? 1 : 0);
        _bytesSent += length;
        AddSegment(seq, length, flags, newData: true);
        if (_firstUnackedSendMs < 0)
        {
            _firstUnackedSendMs = nowMs;
        }
        if (_timerKind != TimerKind.Retransmit)
        {
            ArmRetransmit();
        }
    }

    /// <summary>Sends [<paramref name="seq"/>, seq + <paramref name="length"/>) again (data and, where it falls in the range, the FIN).</summary>
    private void Retransmit(SeqNumber seq, int length)
    {
        var dataEnd = DataEnd;
        int dataLength = Math.Max(0, Math.Min(length, dataEnd - seq));
        var flags = TcpFlags.Ack;
        if (_finSent && (seq + length).GreaterThan(dataEnd))
        {
            flags |= TcpFlags.Fin;
        }
        if (dataLength > 0 && seq + dataLength == dataEnd)
        {
            flags |= TcpFlags.Psh;
        }
        // Karn: a retransmitted range never gives an RTT sample.
        _rttTiming = false;
        _retransmits++;
        _protocol.Stats.Retransmits.Increment();
        AddSegment(seq, dataLength, flags, newData: false);
        if (_timerKind != TimerKind.Retransmit)
        {
            ArmRetransmit();
        }
    }

    /// <summary>Sends our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), first or again.</summary>
    private void SendSyn()
    {
        var flags = _state == TcpState.SynSent ? TcpFlags.Syn : TcpFlags.Syn | TcpFlags.Ack;
        if (_synRetransmits == 0)
        {
            _rttTiming = true;
            _rttStartUs = _protocol.NowUs;
            _firstUnackedSendMs = _protocol.NowMs;
        }
        AddSegment(_iss, 0, flags, newData: false);
    }

    /// <summary>Sends a pure ACK now.</summary>
    private void SendAck() => AddSegment(_sndNxt, 0, TcpFlags.Ack, newData: false);

    /// <summary>RFC 5961 / RFC 9293: an ACK answering an unacceptable segment, at most one per rate-limit interval.</summary>
    private void SendRateLimitedAck(bool challenge)
    {
        if (AllowOutOfWindowAnswer(challenge))
        {
            SendAck();
        }
    }

    /// <summary>The per-connection budget for answers to invalid or old segments: one per interval.</summary>
    private bool AllowOutOfWindowAnswer(bool challenge)
    {
        long now = _protocol.NowMs;
        long interval = (long)_protocol.Options.InvalidSegmentAckInterval.TotalMilliseconds;
        if (_lastInvalidAckMs != long.MinValue && now - _lastInvalidAckMs < interval)
        {
            _protocol.Stats.RateLimitedAnswers.Increment();
            return false;
        }
        _lastInvalidAckMs = now;
        if (challenge)
        {
            _protocol.Stats.ChallengeAcks.Increment();
        }
        return true;
    }

    /// <summary>Sends a RST for this connection at SND.NXT.</summary>
    private void SendReset()
    {
        AddSegment(_sndNxt, 0, TcpFlags.Rst | TcpFlags.Ack, newData: false);
        _protocol.Stats.ResetsSent.Increment();
    }

    /// <summary>Builds one segment (header in the packet's headroom, data as views of the send buffer) and queues it.</summary>
    private void AddSegment(SeqNumber seq, int dataLength, TcpFlags flags, bool newData)
    {
        var route = _route;
        if (route is null)
        {
            return;
        }
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool rst = (flags & TcpFlags.Rst) != 0;
        Span<TcpSackBlock> sacks = stackalloc TcpSackBlock[TcpOptions.MaxSackBlocks];
        int sackCount = 0;
        int optionsLength;
        if (syn)
        {
            bool offerScale = _state == TcpState.SynSent ? _protocol.Options.WindowScaling : _rcvWndShift > 0 || _sndWndShift > 0;
            bool offerSack = _state == TcpState.SynSent ? _protocol.Options.Sack : _sackEnabled;
            bool offerTs = _state == TcpState.SynSent ? _protocol.Options.Timestamps : _timestampsEnabled;
            optionsLength = TcpOptionWriter.SynLength(offerScale, offerSack, offerTs);
        }
        else
        {
            if (_sackEnabled && !_outOfOrder.IsEmpty && !rst)
            {
                sackCount = _outOfOrder.GetSackBlocks(sacks[..(_timestampsEnabled ? 3 : 4)]);
            }
            optionsLength = rst ? 0 : TcpOptionWriter.Length(_timestampsEnabled, sackCount);
        }
        int headerLength = TcpHeader.MinimumSize + optionsLength;
        var packet = PacketBuffer.Rent(route.MaxHeaderLength + headerLength);
        if (dataLength > 0)
        {
            _sendBuffer.AppendTo(packet, _sendBuffer.Head + (seq - _sndUna), dataLength);
        }
        var ack = (flags & TcpFlags.Ack) != 0 ? _rcvNxt : default;
        ushort window = rst ? (ushort)0 : syn ? (ushort)Math.Min(FreeReceiveSpace(), ushort.MaxValue) : SelectWindow();
        if (syn && _state == TcpState.SynReceived)
        {
            _rcvAdvertisedEdge = _rcvNxt + window;
        }
        var header = packet.PushHeader(HeaderKind.Transport, headerLength);
        TcpHeader.Encode(header, new TcpFields(_id.LocalPort, _id.RemotePort, seq.Value, ack.Value, flags, window), headerLength);
        var options = header[TcpHeader.MinimumSize..];
        uint tsValue = TimestampNow();
        if (syn)
        {
            bool synSent = _state == TcpState.SynSent;
            int shift = (synSent ? _protocol.Options.WindowScaling : _rcvWndShift > 0 || _sndWndShift > 0) ? _rcvWndShift : -1;
            bool sack = synSent ? _protocol.Options.Sack : _sackEnabled;
            bool ts = synSent ? _protocol.Options.Timestamps : _timestampsEnabled;
            TcpOptionWriter.WriteSyn(options, (ushort)_advertisedMss, shift, sack, ts, tsValue, synSent ? 0 : _tsRecent);
        }
        else if (!rst)
        {
            int n = 0;
            if (_timestampsEnabled)
            {
                n += TcpOptionWriter.WriteTimestamps(options, tsValue, _tsRecent);
            }
            TcpOptionWriter.WriteSack(options[n..], sacks[..sackCount]);
        }
        TcpProtocol.FinishChecksum(packet, route, headerLength, dataLength, _gsoMaxPayload > 0 ? _sndMss - (optionsLength - (_timestampsEnabled ? TcpOptionWriter.TimestampsLength : 0)) : 0);
        packet.TransportProtocol = TcpProtocol.ProtocolNumber;
        packet.Hash = Hash;
        if ((flags & TcpFlags.Ack) != 0)
        {
            _lastAckSent = _rcvNxt;
            _unackedBytes = 0;
            _ackNow = false;
            _delayedAckDeadlineMs = 0;
        }
        _lastSendMs = _protocol.NowMs;
        _segmentsSent++;
        if (_batchCount == _batch.Length)
        {
            if (_batch.Length < MaxBatch)
            {
                Array.Resize(ref _batch, _batch.Length * 4);
                Array.Resize(ref _batchEntries, _batchEntries.Length * 4);
            }
            else
            {
                FlushBatch();
            }
        }
        _batchEntries[_batchCount] = new BatchEntry(seq, dataLength + ((flags & TcpFlags.Fin) != 0 ? 1 : 0), newData);
        _batch[_batchCount++] = packet;
    }

    /// <summary>
    /// Hands the queued segments to the route as one batch. New data the link could not take is rolled
    /// back (SND.NXT moves back to it) so it goes again later instead of waiting for loss recovery.
    /// </summary>
    private void FlushBatch()
    {
        if (_batchCount == 0)
        {
            return;
        }
        int count = _batchCount;
        _batchCount = 0;
        var result = _route!.WritePackets(_batch.AsSpan(0, count), new NetworkHeaderParams(TcpProtocol.ProtocolNumber, DontFragment: true));
        _protocol.Stats.SegmentsSent.Add(result.Written);
        if (result.Written < count)
        {
            _protocol.Stats.DroppedLocalCongestion.Add(count - result.Written);
            if (result.Error == TcpipError.MessageTooLong)
            {
                // The path MTU fell below our segments without an ICMP error we believed (one learned for another
                // flow to this destination, or one quoting a sequence number not in flight): take it up, as Linux
                // sizes every transmission from the route's current MTU (tcp_current_mss), or nothing would go
                // until the path MTU entry expires.
                UpdateMss();
            }
            for (int i = result.Written; i < count; i++)
            {
                var e = _batchEntries[i];
                if (e.NewData && e.Seq.LessThan(_sndNxt) && CanSendData)
                {
                    _bytesSent -= _sndNxt - e.Seq;
                    _sndNxt = e.Seq;
                    if (_finSent && _sndNxt.LessThanEq(DataEnd))
                    {
                        _finSent = false;
                    }
                    if (_rttTiming && _rttSeq.GreaterThan(_sndNxt))
                    {
                        _rttTiming = false;
                    }
                    if (_smallSegmentEnd.GreaterThan(_sndNxt))
                    {
                        // That short segment never left: Nagle must not wait for its acknowledgment (with nothing
                        // in flight, none would come and the tail would stay unsent for good).
                        _smallSegmentEnd = _sndUna;
                    }
                    break;
                }
            }
            if (_timerKind == TimerKind.None && CanSendData && DataEnd.GreaterThan(_sndUna))
            {
                ArmRetransmit();
            }
        }
        for (int i = 0; i < count; i++)
        {
            _batch[i].Release();
            _batch[i] = null!;
        }
    }

    /// <summary>Payload per segment now: the send MSS less the SACK blocks a segment carries while data is out of order.</summary>
    private int EffectiveMss()
    {
        if (!_sackEnabled || _outOfOrder.IsEmpty)
        {
            return _sndMss;
        }
        return Math.Max(_sndMss - TcpOptionWriter.Length(false, _timestampsEnabled ? 3 : 4), 32);
    }

    /// <summary>TSval: milliseconds plus this connection's offset.</summary>
    private uint TimestampNow() => unchecked((uint)_protocol.NowMs + _tsOffset);

    /// <summary>The initial window (RFC 6928): ten segments by default.</summary>
    private int InitialWindow() => _protocol.Options.InitialCongestionWindow * _sndMss;

    /// <summary>Receive buffer space not taken by queued or out-of-order data.</summary>
    private int FreeReceiveSpace() => Math.Max(0, _settings.ReceiveBufferSize - _receiveQueue.Length - _outOfOrder.Bytes);

    /// <summary>
    /// The window field to send, and the right edge it advertises. The edge never moves left (RFC 9293
    /// 3.8.6.2.2: do not shrink the window) and moves right only by at least min(half the buffer, one
    /// MSS) at a time (receiver silly-window avoidance, RFC 9293 3.8.6.2.2 / RFC 1122 4.2.3.3).
    /// </summary>
    private ushort SelectWindow()
    {
        int free = FreeReceiveSpace();
        int maxWindow = ushort.MaxValue << _rcvWndShift;
        free = Math.Min(free, maxWindow);
        var current = _rcvAdvertisedEdge;
        int currentWindow = Math.Max(0, current - _rcvNxt);
        int window;
        if (free > currentWindow && free - currentWindow >= Math.Min(_settings.ReceiveBufferSize / 2, _rcvMss))
        {
            window = free;
        }
        else if (free >= currentWindow)
        {
            window = currentWindow;
        }
        else
        {
            // Space shrank below what was offered (the application buffer filled): keep the old edge.
            window = currentWindow;
        }
        // Round up to the scale unit so the advertised edge never falls behind the previous one.
        int unit = 1 << _rcvWndShift;
        int field = Math.Min((window + unit - 1) >> _rcvWndShift, ushort.MaxValue);
        _rcvAdvertisedEdge = SeqNumber.Max(_rcvAdvertisedEdge, _rcvNxt + (field << _rcvWndShift));
        return (ushort)field;
    }
}
