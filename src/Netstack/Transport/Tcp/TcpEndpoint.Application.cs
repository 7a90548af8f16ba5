using System.Runtime.CompilerServices;
using Netstack.Stack;

namespace Netstack.Transport.Tcp;

/// <summary>
/// The application's side: reads, writes, shutdown, close and abort, settings and statistics. Results are
/// byte counts, or a negated <see cref="TcpipError"/>; the socket layer turns those into exceptions.
/// Waiting never holds the lock and never blocks a thread.
/// </summary>
internal sealed partial class TcpEndpoint
{
    private const int WouldBlock = int.MinValue;

    /// <summary>Waits until the handshake ends: 0 when established, otherwise the negated error.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> WaitForConnectAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ValueTask wait;
            using (Enter())
            {
                if (_state is not (TcpState.SynSent or TcpState.SynReceived))
                {
                    return _error != TcpipError.None ? -(int)_error : _state == TcpState.Closed ? -(int)TcpipError.ConnectionAborted : 0;
                }
                wait = _stateSignal.WaitAsync(cancellationToken);
            }
            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads into <paramref name="buffer"/>: the count read, 0 at end of stream (or, for an empty buffer, when
    /// data is available), or the negated error. Data received before a reset is still read first.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _readBusy, 1) != 0)
        {
            throw new InvalidOperationException("A read is already pending on this connection; wait for it before starting another.");
        }
        try
        {
            while (true)
            {
                ValueTask wait;
                using (Enter())
                {
                    int n = TryRead(buffer.Span);
                    if (n != WouldBlock)
                    {
                        FlushBatch();
                        return n;
                    }
                    wait = _readSignal.WaitAsync(cancellationToken);
                }
                await wait.ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _readBusy, 0);
        }
    }

    /// <summary>Copies all of <paramref name="data"/> into the send buffer, waiting for room; the count, or the negated error.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _writeBusy, 1) != 0)
        {
            throw new InvalidOperationException("A write is already pending on this connection; wait for it before starting another.");
        }
        try
        {
            int written = 0;
            while (true)
            {
                ValueTask wait;
                using (Enter())
                {
                    int r = TryWrite(data.Span, ref written);
                    if (r != WouldBlock)
                    {
                        return r;
                    }
                    wait = _writeSignal.WaitAsync(cancellationToken);
                }
                await wait.ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _writeBusy, 0);
        }
    }

    /// <summary>Sends any data Nagle's algorithm holds back now (once), without waiting for acknowledgments.</summary>
    public void Push()
    {
        using (Enter())
        {
            if (CanSendData && DataEnd.GreaterThan(_sndNxt))
            {
                var saved = _smallSegmentEnd;
                _smallSegmentEnd = _sndUna;
                Output();
                if (_smallSegmentEnd == _sndUna)
                {
                    _smallSegmentEnd = saved;
                }
            }
            FlushBatch();
        }
    }

    /// <summary>Closes the sending direction: a FIN follows the data already written (RFC 9293 3.10.4).</summary>
    public void ShutdownWrite()
    {
        using (Enter())
        {
            QueueFin();
            FlushBatch();
        }
    }

    /// <summary>
    /// Closes the connection for the application: a FIN after the queued data; the connection finishes on its
    /// own. Unread received data turns it into an abort with RST (RFC 2525 2.17, as Linux does).
    /// </summary>
    public void Close()
    {
        using (Enter())
        {
            if (_userClosed)
            {
                return;
            }
            _userClosed = true;
            _receiveShutdown = true;
            if (_receiveQueue.Length > 0 && IsSynchronized)
            {
                _receiveQueue.Clear();
                SendReset();
                FlushBatch();
                Fail(TcpipError.ConnectionAborted);
                return;
            }
            _receiveQueue.Clear();
            switch (_state)
            {
                case TcpState.SynSent:
                case TcpState.SynReceived:
                    EnterClosed();
                    break;
                case TcpState.FinWait2:
                    ArmTimer(TimerKind.FinWait2, _protocol.Options.FinWait2Timeout);
                    break;
                case TcpState.Closed:
                    ReleaseResources();
                    break;
                default:
                    QueueFin();
                    break;
            }
            _readSignal.Set();
            _writeSignal.Set();
            FlushBatch();
        }
    }

    /// <summary>Aborts: RST to the peer, every buffer dropped (linger zero, RFC 9293 3.10.5).</summary>
    public void Abort()
    {
        using (Enter())
        {
            _userClosed = true;
            _receiveShutdown = true;
            _receiveQueue.Clear();
            if (IsSynchronized)
            {
                SendReset();
                FlushBatch();
            }
            Fail(TcpipError.ConnectionAborted);
        }
    }

    /// <summary>
    /// Waits until everything written, FIN included, is acknowledged (or the connection ended): the linger
    /// wait of a graceful close. 0, or the negated error.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> WaitForSendCompleteAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ValueTask wait;
            using (Enter())
            {
                if (_state is TcpState.Closed or TcpState.FinWait2 || (_finSent && _sndUna == _sndNxt))
                {
                    return _error != TcpipError.None && _error != TcpipError.ConnectionAborted ? -(int)_error : 0;
                }
                wait = _stateSignal.WaitAsync(cancellationToken);
            }
            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>Replaces the connection's settings (buffer sizes, Nagle, keepalive, congestion control take effect now).</summary>
    public void UpdateSettings(TcpConnectionSettings settings)
    {
        settings.Validate();
        using (Enter())
        {
            var old = _settings;
            _settings = settings;
            if (settings.CongestionControl != _cc.Algorithm)
            {
                var cc = CongestionControl.Create(settings.CongestionControl, _sndMss, InitialWindow());
                cc.InheritFrom(_cc);
                _cc = cc;
            }
            if (settings.KeepAlive != old.KeepAlive || settings.KeepAliveTime != old.KeepAliveTime)
            {
                ArmKeepalive();
            }
            if (settings.SendBufferSize > old.SendBufferSize)
            {
                _writeSignal.Set();
            }
            if (settings.ReceiveBufferSize > old.ReceiveBufferSize && IsSynchronized)
            {
                MaybeSendWindowUpdate();
            }
            if (settings.NoDelay && !old.NoDelay)
            {
                Output();
            }
            FlushBatch();
        }
    }

    /// <summary>The settings in force.</summary>
    public TcpConnectionSettings Settings
    {
        get
        {
            using (Enter())
            {
                return _settings;
            }
        }
    }

    /// <summary>A snapshot of the connection's counters.</summary>
    public TcpConnectionStatistics GetStatistics()
    {
        using (Enter())
        {
            return new TcpConnectionStatistics
            {
                State = ReportedState,
                SmoothedRtt = TimeSpan.FromMicroseconds(_rtt.SmoothedUs),
                RttVariance = TimeSpan.FromMicroseconds(_rtt.VarianceUs),
                MinRtt = _rtt.HasSample ? TimeSpan.FromMicroseconds(_rtt.MinimumUs) : TimeSpan.Zero,
                RetransmitTimeout = _rtt.Rto,
                CongestionWindow = _cc.Cwnd,
                SlowStartThreshold = _cc.Ssthresh,
                CongestionControl = _cc.Algorithm,
                SendMss = _sndMss,
                ReceiveMss = _advertisedMss,
                PeerWindow = _sndWnd,
                BytesInFlight = IsSynchronized ? _sndNxt - _sndUna : 0,
                SendQueueLength = _sendBuffer.Length,
                ReceiveQueueLength = _receiveQueue.Length,
                ReceiveMemory = ReceiveMemory,
                BytesSent = _bytesSent,
                BytesAcked = _bytesAcked,
                BytesReceived = _bytesReceived,
                SegmentsSent = _segmentsSent,
                SegmentsReceived = _segmentsReceived,
                Retransmits = _retransmits,
                Timeouts = _timeouts,
                FastRecoveries = _fastRecoveries,
                SackEnabled = _sackEnabled,
                TimestampsEnabled = _timestampsEnabled,
                ReceiveWindowScale = _rcvWndShift,
                SendWindowScale = _sndWndShift,
            };
        }
    }

    private int TryRead(Span<byte> destination)
    {
        if (_receiveQueue.Length > 0)
        {
            if (destination.IsEmpty)
            {
                return 0;
            }
            int n = _receiveQueue.Read(destination);
            MaybeSendWindowUpdate();
            return n;
        }
        if (_finReceived)
        {
            return 0;
        }
        if (_error != TcpipError.None)
        {
            return -(int)_error;
        }
        if (_receiveShutdown)
        {
            return 0;
        }
        if (_state == TcpState.Closed)
        {
            return -(int)TcpipError.NotConnected;
        }
        return WouldBlock;
    }

    private int TryWrite(ReadOnlySpan<byte> data, ref int written)
    {
        if (_error != TcpipError.None)
        {
            return -(int)_error;
        }
        if (_finQueued || _userClosed)
        {
            return -(int)TcpipError.ClosedForSend;
        }
        switch (_state)
        {
            case TcpState.SynSent:
            case TcpState.SynReceived:
                return WouldBlock;
            case TcpState.Established:
            case TcpState.CloseWait:
                break;
            default:
                return -(int)TcpipError.NotConnected;
        }
        int room = _settings.SendBufferSize - _sendBuffer.Length;
        if (room > 0 && written < data.Length)
        {
            written += _sendBuffer.Append(data[written..], room);
            Output();
            FlushBatch();
        }
        return written == data.Length ? written : WouldBlock;
    }

    private void QueueFin()
    {
        switch (_state)
        {
            case TcpState.Established:
                _state = TcpState.FinWait1;
                break;
            case TcpState.CloseWait:
                _state = TcpState.LastAck;
                break;
            case TcpState.SynSent:
                EnterClosed();
                return;
            default:
                return;
        }
        _finQueued = true;
        _keepaliveTimer.Cancel();
        Output();
        _writeSignal.Set();
        _stateSignal.Set();
    }

    /// <summary>
    /// After the application read: announce a window that has grown a lot (Linux's rule: when what the peer
    /// may still send is at most half the buffer and the new window is at least twice that).
    /// </summary>
    private void MaybeSendWindowUpdate()
    {
        if (!IsSynchronized || _finReceived)
        {
            return;
        }
        int remaining = Math.Max(0, _rcvAdvertisedEdge - _rcvNxt);
        int free = Math.Min(FreeReceiveSpace(), ushort.MaxValue << _rcvWndShift);
        if (2 * (long)remaining <= _settings.ReceiveBufferSize && free >= 2 * (long)remaining && free - remaining >= _rcvMss)
        {
            _ackNow = true;
            Output();
        }
    }
}
