using Netstack.Buffers;

namespace Netstack.Transport.Udp;

/// <summary>
/// The receive side of a <see cref="UdpEndpoint"/>: datagrams waiting to be read (as references to the
/// packets they arrived in), readers waiting for datagrams, and an error waiting to be reported. Bounded in
/// bytes like a Linux socket's <c>sk_rmem_alloc</c>. The queue and the waiters are never both non-empty: a
/// datagram goes straight to the oldest waiter.
/// </summary>
internal sealed class UdpReceiveQueue
{
    private readonly Lock _gate = new();
    private readonly Queue<QueuedDatagram> _datagrams = new();
    private readonly List<IUdpReadWaiter> _waiters = new();
    private int _bytes;
    private bool _closed;
    private volatile TcpipError _pendingError;

    /// <summary>Bytes charged by queued datagrams.</summary>
    public int Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Queued datagrams.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _datagrams.Count;
            }
        }
    }

    /// <summary>Payload length of the oldest queued datagram, 0 if none.</summary>
    public int NextSize
    {
        get
        {
            lock (_gate)
            {
                return _datagrams.TryPeek(out var d) ? d.Packet.DataSize : 0;
            }
        }
    }

    /// <summary>True while an error waits to be reported (cheap; no lock).</summary>
    public bool HasPendingError => _pendingError != TcpipError.None;

    /// <summary>
    /// Hands a datagram (header consumed, data trimmed to the payload) to the oldest waiter, or queues a
    /// reference to it when the queue is below <paramref name="limit"/> bytes. Returns false (not taken) when
    /// the queue is full or closed; <paramref name="closed"/> tells which.
    /// </summary>
    public bool Deliver(PacketBuffer packet, in UdpDatagramInfo info, int limit, out bool closed)
    {
        IUdpReadWaiter? waiter = null;
        lock (_gate)
        {
            closed = _closed;
            if (closed)
            {
                return false;
            }
            if (_waiters.Count > 0)
            {
                waiter = _waiters[0];
                _waiters.RemoveAt(0);
            }
            else
            {
                // Like Linux's __udp_enqueue_schedule_skb: accept while below the limit, so one datagram
                // larger than the whole buffer can still be received.
                if (_bytes >= limit)
                {
                    return false;
                }
                int charge = MemoryCharge(packet);
                packet.IncRef();
                _datagrams.Enqueue(new QueuedDatagram(packet, info, charge));
                _bytes += charge;
            }
        }
        waiter?.OnDatagram(packet, info);
        return true;
    }

    /// <summary>Reports <paramref name="error"/> to the oldest waiter, or keeps it for the next read or write.</summary>
    public void SetError(TcpipError error)
    {
        IUdpReadWaiter? waiter = null;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            if (_waiters.Count > 0)
            {
                waiter = _waiters[0];
                _waiters.RemoveAt(0);
            }
            else
            {
                _pendingError = error;
            }
        }
        waiter?.OnError(error);
    }

    /// <summary>Takes the pending error (None if there is none).</summary>
    public TcpipError TakeError()
    {
        lock (_gate)
        {
            var pending = _pendingError;
            _pendingError = TcpipError.None;
            return pending;
        }
    }

    /// <summary>Copies the oldest datagram into <paramref name="destination"/> (truncating) and drops it.</summary>
    public TcpipError Read(Span<byte> destination, out UdpReadResult result)
    {
        var error = Dequeue(null, out var datagram);
        if (error != TcpipError.None)
        {
            result = default;
            return error;
        }
        try
        {
            int length = datagram.Packet.DataSize;
            int copied = datagram.Packet.CopyDataTo(0, destination);
            result = new UdpReadResult(copied, length, datagram.Info);
            return TcpipError.None;
        }
        finally
        {
            datagram.Packet.Release();
        }
    }

    /// <summary>Gives the oldest datagram to <paramref name="waiter"/> now, or registers it (WouldBlock).</summary>
    public TcpipError ReadOrWait(IUdpReadWaiter waiter)
    {
        var error = Dequeue(waiter, out var datagram);
        if (error != TcpipError.None)
        {
            return error;
        }
        try
        {
            waiter.OnDatagram(datagram.Packet, datagram.Info);
        }
        finally
        {
            datagram.Packet.Release();
        }
        return TcpipError.None;
    }

    /// <summary>Withdraws a waiting reader; false if it was already completed or being completed.</summary>
    public bool CancelWait(IUdpReadWaiter waiter)
    {
        lock (_gate)
        {
            return _waiters.Remove(waiter);
        }
    }

    /// <summary>Closes: later datagrams are refused, queued ones released, waiters failed with <see cref="TcpipError.Aborted"/>.</summary>
    public void Close()
    {
        IUdpReadWaiter[] waiters;
        QueuedDatagram[] queued;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            waiters = _waiters.ToArray();
            _waiters.Clear();
            queued = _datagrams.ToArray();
            _datagrams.Clear();
            _bytes = 0;
            _pendingError = TcpipError.None;
        }
        foreach (var d in queued)
        {
            d.Packet.Release();
        }
        foreach (var w in waiters)
        {
            w.OnError(TcpipError.Aborted);
        }
    }

    // The pending error first (as Linux's sock_error in __skb_recv_udp), then the oldest datagram; with
    // nothing queued, registers `waiter` if given.
    private TcpipError Dequeue(IUdpReadWaiter? waiter, out QueuedDatagram datagram)
    {
        lock (_gate)
        {
            var pending = _pendingError;
            if (pending != TcpipError.None)
            {
                _pendingError = TcpipError.None;
                datagram = default;
                return pending;
            }
            if (!_datagrams.TryDequeue(out datagram))
            {
                if (_closed)
                {
                    return TcpipError.ClosedForReceive;
                }
                if (waiter is not null)
                {
                    _waiters.Add(waiter);
                }
                return TcpipError.WouldBlock;
            }
            _bytes -= datagram.Charge;
            return TcpipError.None;
        }
    }

    // What a queued datagram costs: the chunks it keeps alive (Linux charges skb->truesize, not the payload).
    private static int MemoryCharge(PacketBuffer packet)
    {
        int total = 0;
        foreach (var view in packet.Views)
        {
            total += view.Chunk.Capacity;
        }
        return total;
    }

    private readonly record struct QueuedDatagram(PacketBuffer Packet, UdpDatagramInfo Info, int Charge);
}
