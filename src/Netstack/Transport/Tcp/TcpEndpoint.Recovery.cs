using Netstack.Headers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// Acknowledgments and loss recovery: RFC 9293 ACK processing with RFC 5961 5.2's range check, the SACK
/// scoreboard, fast retransmit and recovery (RFC 6675, with RFC 6582 NewReno when the peer has no SACK:
/// duplicate ACKs then stand in for SACKed segments, as Linux does), and the RFC 6298 timeout.
/// </summary>
internal sealed partial class TcpEndpoint
{
    /// <summary>The ACK field of an acceptable segment. False when the segment must be dropped.</summary>
    private bool ProcessAck(in TcpSegment seg)
    {
        var ack = seg.Ack;
        if (ack.GreaterThan(_sndNxt))
        {
            // RFC 9293: it acknowledges something not yet sent; RFC 5961 5.2 rate-limits the answer.
            _protocol.Stats.DroppedAckUnsent.Increment();
            SendRateLimitedAck(challenge: true);
            return false;
        }
        if (ack.LessThan(_sndUna - Math.Max(_maxSndWnd, 1)))
        {
            _protocol.Stats.DroppedOldAck.Increment();
            SendRateLimitedAck(challenge: true);
            return false;
        }
        int newlySacked = 0;
        if (_sackEnabled && seg.Options.SackBlockCount > 0)
        {
            foreach (var block in seg.Options.SackBlocks)
            {
                var start = new SeqNumber(block.Start);
                var end = new SeqNumber(block.End);
                // Only blocks within (SND.UNA, SND.NXT] count; one below SND.UNA is a D-SACK (RFC 2883) and is ignored.
                // Checked as offsets from SND.UNA: comparisons modulo 2^32 are not transitive, so a forged block
                // nearly 2^31 long could pass start > SND.UNA, start < end and end <= SND.NXT one by one, and its
                // length would then count as SACKed bytes: pipe grew by gigabytes and the sender went silent.
                int startOffset = start - _sndUna;
                int endOffset = end - _sndUna;
                if (startOffset <= 0 || endOffset <= startOffset || endOffset > _sndNxt - _sndUna)
                {
                    continue;
                }
                newlySacked += _scoreboard.Add(start, end);
            }
        }
        int window = seg.Window << _sndWndShift;
        bool advanced = ack.GreaterThan(_sndUna);
        bool duplicate = !advanced && ack == _sndUna && _sndNxt != _sndUna
            && seg.DataLength == 0 && (seg.Flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0 && window == _sndWnd;
        if (advanced)
        {
            OnNewAck(ack);
        }
        if (!ack.LessThan(_sndUna) && (_sndWl1.LessThan(seg.Seq) || (_sndWl1 == seg.Seq && _sndWl2.LessThanEq(ack))))
        {
            bool opened = _sndWnd == 0 && window > 0;
            _sndWnd = window;
            _sndWl1 = seg.Seq;
            _sndWl2 = ack;
            _maxSndWnd = Math.Max(_maxSndWnd, window);
            if (opened && _timerKind == TimerKind.Persist)
            {
                _timerKind = TimerKind.None;
                _rtt.ResetBackoff();
            }
        }
        if (!advanced && (duplicate || newlySacked > 0))
        {
            _dupAcks++;
        }
        DetectLoss();
        return true;
    }

    /// <summary>SND.UNA moves forward: free the buffer, sample the RTT, grow the window, leave recovery.</summary>
    private void OnNewAck(SeqNumber ack)
    {
        int acked = ack - _sndUna;
        int priorInFlight = _sndNxt - _sndUna;
        int dataAcked = Math.Min(acked, _sendBuffer.Length);
        _sendBuffer.Consume(_sendBuffer.Head + dataAcked);
        _sndUna = ack;
        _bytesAcked += dataAcked;
        long nowUs = _protocol.NowUs;
        if (_rttTiming && !ack.LessThan(_rttSeq))
        {
            _rtt.AddSample(nowUs - _rttStartUs);
            _rttTiming = false;
        }
        _rtt.ResetBackoff();
        _rtoExpiries = 0;
        _scoreboard.RemoveBelow(_sndUna);
        if (!_sackEnabled && _dupAcks > 0)
        {
            // Each segment acknowledged takes one emulated SACK with it (Linux's tcp_remove_reno_sacks).
            _dupAcks = Math.Max(0, _dupAcks - Math.Max(1, acked / _sndMss));
        }
        bool limited = _cwndLimited || (_cc.InSlowStart && priorInFlight * 2 >= _cc.Cwnd);
        switch (_recovery)
        {
            case RecoveryState.Open:
                _cc.OnAck(dataAcked, nowUs, _rtt.SmoothedUs, limited);
                _dupAcks = 0;
                break;
            case RecoveryState.Fast:
                if (!ack.LessThan(_recoveryPoint))
                {
                    _recovery = RecoveryState.Open;
                    _dupAcks = 0;
                    _cc.OnRecoveryExit(_sndNxt - _sndUna);
                }
                else if (!_sackEnabled)
                {
                    // RFC 6582 3.2 step 5, partial ACK: the segment at the new SND.UNA is lost too; retransmit it now.
                    _highRxt = _sndUna;
                    _retransmitFirstLost = true;
                }
                break;
            case RecoveryState.Loss:
                _cc.OnAck(dataAcked, nowUs, _rtt.SmoothedUs, cwndLimited: true);
                if (!ack.LessThan(_recoveryPoint))
                {
                    _recovery = RecoveryState.Open;
                    _dupAcks = 0;
                }
                break;
        }
        long nowMs = _protocol.NowMs;
        if (_sndUna == _sndNxt)
        {
            _firstUnackedSendMs = -1;
            if (_timerKind == TimerKind.Retransmit)
            {
                _timerKind = TimerKind.None;
            }
            _stateSignal.Set();
        }
        else
        {
            _firstUnackedSendMs = nowMs;
            ArmRetransmit();
        }
        if (nowMs - _lastNeighborConfirmMs >= NeighborConfirmIntervalMs && _route is { IsLocal: false } route)
        {
            // Forward progress confirms the next hop (RFC 4861 7.3.1), sparing NUD probes.
            _lastNeighborConfirmMs = nowMs;
            route.Nic.GetNeighborCache(route.NetworkProtocol)?.ConfirmReachable(route.NextHop);
        }
        if (_writeSignal.IsWaiting && (_sendBuffer.Length == 0 || _settings.SendBufferSize - _sendBuffer.Length >= _settings.SendBufferSize / 4))
        {
            _writeSignal.Set();
        }
    }

    /// <summary>Enters fast recovery on the third duplicate ACK or when SACK shows the first segment lost (RFC 6675 section 5).</summary>
    private void DetectLoss()
    {
        if (_recovery != RecoveryState.Open || _sndNxt == _sndUna)
        {
            return;
        }
        bool loss = _dupAcks >= DupThresh;
        if (!loss && _sackEnabled && !_scoreboard.IsEmpty)
        {
            loss = _scoreboard.LostBoundary(_sndUna, DupThresh, _sndMss).GreaterThan(_sndUna);
        }
        // RFC 6582 3.2 step 2: not for duplicates of data sent before the last recovery began.
        if (!loss || !_sndUna.GreaterThan(_recoveryPoint))
        {
            return;
        }
        _recovery = RecoveryState.Fast;
        _recoveryPoint = _sndNxt;
        _highRxt = _sndUna;
        _retransmitFirstLost = true;
        _cc.OnCongestionEvent(_protocol.NowUs, _sndNxt - _sndUna);
        _fastRecoveries++;
        _protocol.Stats.FastRecoveries.Increment();
    }

    /// <summary>
    /// RFC 6675 SetPipe: octets in flight. Un-SACKed octets count once unless lost; retransmitted ones
    /// (below HighRxt) count once more.
    /// </summary>
    private int Pipe()
    {
        int outstanding = _sndNxt - _sndUna;
        if (_recovery == RecoveryState.Open && _scoreboard.IsEmpty && _dupAcks == 0)
        {
            return outstanding;
        }
        int sacked = _sackEnabled ? _scoreboard.SackedBytes : Math.Min(_dupAcks * _sndMss, outstanding);
        var lostEnd = LostEnd();
        int lost = (lostEnd - _sndUna) - (_sackEnabled ? _scoreboard.SackedIn(_sndUna, lostEnd) : 0);
        var rxtEnd = SeqNumber.Min(SeqNumber.Max(_highRxt, _sndUna), _sndNxt);
        int retransmitted = _recovery == RecoveryState.Open ? 0 : (rxtEnd - _sndUna) - (_sackEnabled ? _scoreboard.SackedIn(_sndUna, rxtEnd) : 0);
        return Math.Max(0, outstanding - sacked - lost + retransmitted);
    }

    /// <summary>Every un-SACKed octet below this number is considered lost.</summary>
    private SeqNumber LostEnd()
    {
        if (_recovery == RecoveryState.Open)
        {
            return _sndUna;
        }
        var end = _sndUna;
        if (_sackEnabled)
        {
            end = _scoreboard.LostBoundary(_sndUna, DupThresh, _sndMss);
        }
        if (_recovery == RecoveryState.Fast)
        {
            // The segment that triggered recovery is lost by definition (the first retransmission).
            end = SeqNumber.Max(end, _sndUna + Math.Min(_sndMss, _sndNxt - _sndUna));
        }
        else
        {
            end = SeqNumber.Max(end, _lossHigh);
        }
        return SeqNumber.Min(end, _sndNxt);
    }

    /// <summary>RFC 6675 NextSeg rule 1: the first lost, un-SACKed range not yet retransmitted.</summary>
    private bool NextLost(out SeqNumber start, out int length)
    {
        start = default;
        length = 0;
        var lostEnd = LostEnd();
        var from = SeqNumber.Max(_highRxt, _sndUna);
        if (!from.LessThan(lostEnd))
        {
            return false;
        }
        if (_sackEnabled)
        {
            if (!_scoreboard.NextHole(from, lostEnd, out var s, out var e))
            {
                return false;
            }
            start = s;
            length = e - s;
        }
        else
        {
            start = from;
            length = lostEnd - from;
        }
        return length > 0;
    }

    /// <summary>The retransmission timer expired with data outstanding (RFC 6298 5.4 to 5.6, RFC 5681 3.1).</summary>
    private void OnRetransmitTimeout()
    {
        if (_sndNxt == _sndUna)
        {
            // Nothing outstanding: the timer only stood in for a send the link refused.
            Output();
            return;
        }
        long nowMs = _protocol.NowMs;
        // Counted apart from the backoff exponent, which stops growing once the timeout reaches its maximum.
        if (_rtoExpiries >= _protocol.Options.MaxRetransmits || UserTimeoutExpired(nowMs))
        {
            Fail(_softError != TcpipError.None ? _softError : TcpipError.Timeout);
            return;
        }
        _timeouts++;
        _protocol.Stats.Timeouts.Increment();
        bool first = _rtoExpiries == 0;
        _rtoExpiries++;
        _cc.OnRetransmitTimeout(_protocol.NowUs, _sndNxt - _sndUna, first);
        _rtt.BackOff();
        _recovery = RecoveryState.Loss;
        _recoveryPoint = _sndNxt;
        _lossHigh = _sndNxt;
        _highRxt = _sndUna;
        _dupAcks = 0;
        // RFC 2018 section 8: after a timeout, SACK information is not trusted (the peer may have reneged).
        _scoreboard.Clear();
        _rttTiming = false;
        Output();
        ArmRetransmit();
    }

    private bool UserTimeoutExpired(long nowMs) =>
        _settings.UserTimeout is { } limit && _firstUnackedSendMs >= 0 && nowMs - _firstUnackedSendMs >= (long)limit.TotalMilliseconds;
}
