using Netstack.Stack;

namespace Netstack.Transport.Tcp;

/// <summary>
/// The connection's lock, and the backlog that keeps protocol threads from ever waiting for it (Linux's
/// socket backlog, gVisor's segment queue). An application call takes the lock and may wait for it. A
/// receive thread or a timer only tries: when another thread holds the lock, the segment (or ICMP error) is
/// queued, or the timer's work flagged, and whoever holds the lock runs it before letting go. So a reader
/// thread serving every connection of a link never stalls behind an application copying a megabyte into
/// its send buffer, or behind a preempted application thread.
/// </summary>
internal sealed partial class TcpEndpoint
{
    private const int BacklogOverheadBytes = 256;

    private readonly Lock _backlogGate = new();
    // Allocated on first use: most connections never see their lock contended.
    private BacklogEntry[] _backlog = [];
    private int _backlogFirst;
    private int _backlogCount;
    private int _backlogBytes;
    private int _deferredWork;

    [Flags]
    private enum DeferredWork
    {
        RetransmitTimer = 1,
        DelayedAckTimer = 2,
        KeepaliveTimer = 4,
    }

    /// <summary>A segment or an ICMP error that arrived while the lock was held elsewhere.</summary>
    private readonly record struct BacklogEntry(Nic? Nic, TcpSegment Segment, TransportError Error);

    /// <summary>The lock held; disposing it runs queued work and releases it.</summary>
    private readonly struct GateScope(TcpEndpoint endpoint) : IDisposable
    {
        public void Dispose() => endpoint.Leave();
    }

    private bool HasDeferredWork => Volatile.Read(ref _backlogCount) != 0 || Volatile.Read(ref _deferredWork) != 0;

    /// <summary>Takes the lock, waiting if need be (application threads).</summary>
    private GateScope Enter()
    {
        _gate.Enter();
        return new GateScope(this);
    }

    /// <summary>
    /// Takes the lock only if that needs no waiting and nothing queued earlier must go first (protocol
    /// threads). A thread that already holds it (a nested delivery) queues instead, so work never runs in
    /// the middle of another operation on the same connection.
    /// </summary>
    private bool TryEnterFromProtocol() => !HasDeferredWork && !_gate.IsHeldByCurrentThread && _gate.TryEnter();

    /// <summary>
    /// Queues a segment or error for the lock's holder. Bounded like Linux's backlog (receive plus send
    /// buffer): beyond it the segment is dropped, as a lost one, and counted.
    /// </summary>
    private void Backlog(in BacklogEntry entry)
    {
        var packet = entry.Segment.Packet;
        int cost = (packet?.Size ?? 0) + BacklogOverheadBytes;
        lock (_backlogGate)
        {
            var settings = _settings;
            if (_backlogBytes + cost > settings.ReceiveBufferSize + settings.SendBufferSize)
            {
                _protocol.Stats.DroppedBacklogFull.Increment();
                return;
            }
            if (_backlogCount == _backlog.Length)
            {
                var bigger = new BacklogEntry[Math.Max(4, _backlog.Length * 2)];
                for (int i = 0; i < _backlogCount; i++)
                {
                    bigger[i] = _backlog[(_backlogFirst + i) & (_backlog.Length - 1)];
                }
                _backlog = bigger;
                _backlogFirst = 0;
            }
            packet?.IncRef();
            _backlog[(_backlogFirst + _backlogCount) & (_backlog.Length - 1)] = entry;
            _backlogBytes += cost;
            Volatile.Write(ref _backlogCount, _backlogCount + 1);
        }
        _protocol.Stats.Backlogged.Increment();
        if (!_gate.IsHeldByCurrentThread && _gate.TryEnter())
        {
            Leave();
        }
    }

    /// <summary>Flags a timer's work for the lock's holder (Linux's deferred TCP timer flags).</summary>
    private void Defer(DeferredWork work)
    {
        Interlocked.Or(ref _deferredWork, (int)work);
        if (!_gate.IsHeldByCurrentThread && _gate.TryEnter())
        {
            Leave();
        }
    }

    /// <summary>
    /// Runs what was queued while the lock was held, then releases it; if more arrived after the last look,
    /// takes the lock again when it is free (otherwise its new holder will run it on the way out).
    /// </summary>
    private void Leave()
    {
        while (true)
        {
            RunDeferredWork();
            _gate.Exit();
            // The queue is read after the release is visible: a protocol thread that queued and then failed
            // to take the lock is then certain to be seen here.
            Interlocked.MemoryBarrier();
            if (!HasDeferredWork || !_gate.TryEnter())
            {
                return;
            }
        }
    }

    private void RunDeferredWork()
    {
        while (true)
        {
            var work = (DeferredWork)Interlocked.Exchange(ref _deferredWork, 0);
            if ((work & DeferredWork.RetransmitTimer) != 0)
            {
                RetransmitTimerLocked();
            }
            if ((work & DeferredWork.DelayedAckTimer) != 0)
            {
                DelayedAckTimerLocked();
            }
            if ((work & DeferredWork.KeepaliveTimer) != 0)
            {
                KeepaliveTimerLocked();
            }
            BacklogEntry entry;
            lock (_backlogGate)
            {
                if (_backlogCount == 0)
                {
                    if (Volatile.Read(ref _deferredWork) == 0)
                    {
                        return;
                    }
                    continue;
                }
                ref var slot = ref _backlog[_backlogFirst];
                entry = slot;
                slot = default;
                _backlogFirst = (_backlogFirst + 1) & (_backlog.Length - 1);
                _backlogBytes -= (entry.Segment.Packet?.Size ?? 0) + BacklogOverheadBytes;
                Volatile.Write(ref _backlogCount, _backlogCount - 1);
            }
            if (entry.Nic is { } nic)
            {
                ProcessSegment(nic, entry.Segment);
                entry.Segment.Packet!.Release();
            }
            else
            {
                HandleErrorLocked(entry.Error);
            }
        }
    }
}
