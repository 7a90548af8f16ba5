using Netstack.Stack.Timers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// Timers, all on the stack's timer wheel with reusable <c>WheelTimer</c>s: one for retransmission, persist,
/// TIME-WAIT and FIN-WAIT-2 (they never run at once), one for delayed ACKs, one for keepalive. Deadlines are
/// kept here and the wheel is only re-armed when a deadline moves earlier, so the per-ACK restart of the
/// retransmission timer costs a store, not a wheel operation; a callback that comes early re-arms itself.
/// </summary>
internal sealed partial class TcpEndpoint
{
    private long _timerScheduledMs;
    private long _delayedAckScheduledMs;
    private long _readWakeDeadlineMs;
    private bool _swsOverride;

    /// <summary>
    /// Why this connection could stop sending for good, or null: a synchronized connection with data (or a FIN)
    /// unacknowledged must have the retransmission timer running, and one with data or a FIN still to send and
    /// nothing in flight must have the persist timer running (a window too small, or none) or the retransmission
    /// timer (a send the link refused), or no ACK and no timer would ever make it send. Checked by the fuzz.
    /// </summary>
    internal string? SendStallReason()
    {
        using (Enter())
        {
            if (!CanSendData || _released)
            {
                return null;
            }
            if (_sndNxt != _sndUna)
            {
                return _timerKind == TimerKind.Retransmit ? null : $"{_sndNxt - _sndUna} bytes in flight and the retransmission timer is {_timerKind}";
            }
            int unsent = DataEnd - _sndNxt;
            if ((unsent <= 0 && !(_finQueued && !_finSent)) || _timerKind is TimerKind.Retransmit or TimerKind.Persist)
            {
                return null;
            }
            return $"{unsent} bytes queued, nothing in flight and no timer (window {_sndWnd}, cwnd {_cc.Cwnd}, mss {_sndMss}, state {_state})";
        }
    }

    /// <summary>
    /// Arms the retransmission timer for the current RTO, cut short to when the user timeout would expire
    /// (Linux's <c>tcp_clamp_rto_to_user_timeout</c>), so a connection gives up on time however far it backed off.
    /// </summary>
    private void ArmRetransmit()
    {
        var delay = _rtt.Rto;
        if (_settings.UserTimeout is { } limit && _firstUnackedSendMs >= 0)
        {
            long remainingMs = (long)limit.TotalMilliseconds - (_protocol.NowMs - _firstUnackedSendMs);
            if (remainingMs < delay.TotalMilliseconds)
            {
                delay = TimeSpan.FromMilliseconds(Math.Max(1, remainingMs));
            }
        }
        ArmTimer(TimerKind.Retransmit, delay);
    }

    /// <summary>
    /// Schedules on the wheel. The stack may be disposed while a connection still runs (a timer callback, an
    /// application call); its wheel then refuses timers and the connection simply has none.
    /// </summary>
    private static void Arm(WheelTimer timer, TimeSpan delay)
    {
        try
        {
            timer.Schedule(delay);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// A receive path or timer callback must never throw (it would take down the reader's or the wheel's
    /// thread): a bug is counted and the connection aborted rather than left in an unknown state.
    /// </summary>
    private void OnInternalFault(Exception e)
    {
        _protocol.ReportInternalError(e);
        try
        {
            if (_state != TcpState.Closed)
            {
                SendReset();
            }
            Fail(TcpipError.ConnectionAborted);
        }
        catch (Exception again) when (again is not OutOfMemoryException)
        {
            _protocol.ReportInternalError(again);
        }
    }

    private void ArmPersist()
    {
        if (_timerKind == TimerKind.Persist)
        {
            return;
        }
        // RFC 9293 3.8.6.1: probe a zero window at the retransmission timeout, backing off.
        long rto = Math.Min(_rtt.BaseRtoUs << Math.Min(_persistProbes, 20), (long)_protocol.Options.MaxRetransmitTimeout.TotalMicroseconds);
        ArmTimer(TimerKind.Persist, TimeSpan.FromMicroseconds(rto));
    }

    private void ArmTimer(TimerKind kind, TimeSpan delay)
    {
        long now = _protocol.NowMs;
        long due = now + Math.Max(1, (long)Math.Ceiling(delay.TotalMilliseconds));
        _timerKind = kind;
        _timerDeadlineMs = due;
        if (!_retransmitTimer.IsScheduled || _timerScheduledMs > due)
        {
            _timerScheduledMs = due;
            Arm(_retransmitTimer, TimeSpan.FromMilliseconds(due - now));
        }
    }

    private void ArmDelayedAck()
    {
        if (_delayedAckDeadlineMs != 0)
        {
            return;
        }
        long now = _protocol.NowMs;
        _delayedAckDeadlineMs = now + Math.Max(1, (long)_protocol.Options.DelayedAckTimeout.TotalMilliseconds);
        ScheduleAckTimer(now, _delayedAckDeadlineMs);
    }

    /// <summary>
    /// Wakes a waiting reader. Waking a thread per segment would cost more than the segment itself on a
    /// busy receive path, so without PSH the wake waits until a good amount of data is queued, the window
    /// is closing, or at most a millisecond (senders set PSH on the last segment of every write, so an
    /// interactive exchange is never delayed).
    /// </summary>
    private void WakeReader(bool push)
    {
        if (!_readSignal.IsWaiting)
        {
            return;
        }
        int queued = _receiveQueue.Length;
        if (push || queued >= Math.Min(64 * 1024, _settings.ReceiveBufferSize / 4) || FreeReceiveSpace() < 4 * _rcvMss)
        {
            _readWakeDeadlineMs = 0;
            _readSignal.Set();
            return;
        }
        if (_readWakeDeadlineMs == 0)
        {
            long now = _protocol.NowMs;
            _readWakeDeadlineMs = now + 1;
            ScheduleAckTimer(now, _readWakeDeadlineMs);
        }
    }

    private void ScheduleAckTimer(long now, long due)
    {
        if (!_delayedAckTimer.IsScheduled || _delayedAckScheduledMs > due)
        {
            _delayedAckScheduledMs = due;
            Arm(_delayedAckTimer, TimeSpan.FromMilliseconds(due - now));
        }
    }

    private void ArmKeepalive()
    {
        if (_settings.KeepAlive && _state is TcpState.Established or TcpState.CloseWait)
        {
            long idle = _protocol.NowMs - _lastReceiveMs;
            long wait = (long)_settings.KeepAliveTime.TotalMilliseconds - idle;
            Arm(_keepaliveTimer, TimeSpan.FromMilliseconds(Math.Max(1, wait)));
        }
        else
        {
            _keepaliveTimer.Cancel();
        }
    }

    private void OnRetransmitTimer()
    {
        if (!TryEnterFromProtocol())
        {
            Defer(DeferredWork.RetransmitTimer);
            return;
        }
        try
        {
            RetransmitTimerLocked();
        }
        finally
        {
            Leave();
        }
    }

    private void RetransmitTimerLocked()
    {
        try
        {
            if (_timerKind == TimerKind.None || _released)
            {
                return;
            }
            long now = _protocol.NowMs;
            if (now < _timerDeadlineMs)
            {
                _timerScheduledMs = _timerDeadlineMs;
                Arm(_retransmitTimer, TimeSpan.FromMilliseconds(_timerDeadlineMs - now));
                return;
            }
            var kind = _timerKind;
            _timerKind = TimerKind.None;
            switch (kind)
            {
                case TimerKind.Retransmit when _state is TcpState.SynSent or TcpState.SynReceived:
                    OnSynTimeout();
                    break;
                case TimerKind.Retransmit:
                    OnRetransmitTimeout();
                    break;
                case TimerKind.Persist:
                    OnPersistTimeout(now);
                    break;
                case TimerKind.FinWait2:
                    EnterClosed();
                    break;
            }
            FlushBatch();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            OnInternalFault(e);
        }
    }

    private void OnSynTimeout()
    {
        var options = _protocol.Options;
        int limit = _state == TcpState.SynSent ? options.SynRetries : options.SynAckRetries;
        // The user timeout bounds a connection attempt too (as Linux applies TCP_USER_TIMEOUT in SYN-SENT).
        if (_synRetransmits >= limit || UserTimeoutExpired(_protocol.NowMs))
        {
            if (_state == TcpState.SynSent)
            {
                _protocol.Stats.FailedConnects.Increment();
            }
            Fail(_softError != TcpipError.None ? _softError : TcpipError.Timeout);
            return;
        }
        _synRetransmits++;
        _retransmits++;
        _protocol.Stats.Retransmits.Increment();
        _rtt.BackOff();
        _rttTiming = false;
        SendSyn();
        ArmRetransmit();
    }

    private void OnPersistTimeout(long nowMs)
    {
        if (!CanSendData || _sndNxt != _sndUna || DataEnd == _sndNxt)
        {
            return;
        }
        if (_sndWnd > 0)
        {
            // A window too small for silly-window avoidance: the override timeout has passed, send what fits.
            _swsOverride = true;
            Output();
            _swsOverride = false;
            return;
        }
        if (_persistProbes >= _protocol.Options.MaxRetransmits || UserTimeoutExpired(nowMs))
        {
            // The peer stopped answering probes at all (any answer resets the count, RFC 9293 3.8.6.1).
            Fail(TcpipError.Timeout);
            return;
        }
        _persistProbes++;
        if (_firstUnackedSendMs < 0)
        {
            _firstUnackedSendMs = nowMs;
        }
        SendProbe();
        ArmPersist();
    }

    /// <summary>A zero-window or keepalive probe: an ACK one below SND.UNA, out of window, so the peer answers with an ACK.</summary>
    private void SendProbe() => AddSegment(_sndUna - 1, 0, Netstack.Headers.TcpFlags.Ack, newData: false);

    private void OnDelayedAckTimer()
    {
        if (!TryEnterFromProtocol())
        {
            Defer(DeferredWork.DelayedAckTimer);
            return;
        }
        try
        {
            DelayedAckTimerLocked();
        }
        finally
        {
            Leave();
        }
    }

    private void DelayedAckTimerLocked()
    {
        try
        {
            if (_released)
            {
                return;
            }
            long now = _protocol.NowMs;
            if (_readWakeDeadlineMs != 0 && now >= _readWakeDeadlineMs)
            {
                _readWakeDeadlineMs = 0;
                _readSignal.Set();
            }
            if (_delayedAckDeadlineMs != 0 && now >= _delayedAckDeadlineMs)
            {
                _delayedAckDeadlineMs = 0;
                if (IsSynchronized && _unackedBytes > 0)
                {
                    SendAck();
                    FlushBatch();
                }
            }
            long next = long.MaxValue;
            if (_delayedAckDeadlineMs != 0)
            {
                next = _delayedAckDeadlineMs;
            }
            if (_readWakeDeadlineMs != 0)
            {
                next = Math.Min(next, _readWakeDeadlineMs);
            }
            if (next != long.MaxValue)
            {
                ScheduleAckTimer(now, next);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            OnInternalFault(e);
        }
    }

    private void OnKeepaliveTimer()
    {
        if (!TryEnterFromProtocol())
        {
            Defer(DeferredWork.KeepaliveTimer);
            return;
        }
        try
        {
            KeepaliveTimerLocked();
        }
        finally
        {
            Leave();
        }
    }

    private void KeepaliveTimerLocked()
    {
        try
        {
            if (_released || !_settings.KeepAlive || _state is not (TcpState.Established or TcpState.CloseWait))
            {
                return;
            }
            long now = _protocol.NowMs;
            long idle = now - _lastReceiveMs;
            long keepIdle = (long)_settings.KeepAliveTime.TotalMilliseconds;
            long interval = (long)_settings.KeepAliveInterval.TotalMilliseconds;
            if (_keepaliveProbes == 0 && idle < keepIdle)
            {
                Arm(_keepaliveTimer, TimeSpan.FromMilliseconds(keepIdle - idle));
                return;
            }
            if (_sndNxt != _sndUna || DataEnd != _sndNxt)
            {
                // Data is in flight or waiting: the retransmission or persist timer watches the peer.
                Arm(_keepaliveTimer, TimeSpan.FromMilliseconds(keepIdle));
                return;
            }
            // With a user timeout, it decides when unanswered probes end the connection instead of the
            // probe count (Linux's TCP_USER_TIMEOUT semantics for keepalive).
            bool expired = _settings.UserTimeout is { } limit
                ? _keepaliveProbes > 0 && idle >= (long)limit.TotalMilliseconds
                : _keepaliveProbes >= _settings.KeepAliveCount;
            if (expired)
            {
                // The peer may only have lost its route to us: tell it, as Linux does.
                _protocol.Stats.KeepaliveTimeouts.Increment();
                SendReset();
                Fail(TcpipError.Timeout);
                return;
            }
            _keepaliveProbes++;
            SendProbe();
            FlushBatch();
            Arm(_keepaliveTimer, TimeSpan.FromMilliseconds(interval));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            OnInternalFault(e);
        }
    }
}
