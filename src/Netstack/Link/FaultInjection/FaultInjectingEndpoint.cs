using Netstack.Buffers;
using Netstack.Stack;

namespace Netstack.Link.FaultInjection;

/// <summary>
/// Wraps any <see cref="ILinkEndpoint"/> and damages its traffic on purpose, each direction on its own
/// terms (in the spirit of smoltcp's <c>phy::FaultInjector</c> and Linux netem): drop, duplicate, reorder,
/// delay with jitter, corrupt one bit, limit the rate through a bounded queue, drop oversized packets.
/// Every random decision comes from <see cref="FaultOptions.Seed"/>, so a run can be replayed, and every
/// fault is counted in <see cref="InboundStats"/> and <see cref="OutboundStats"/>.
/// </summary>
/// <remarks>
/// <para>Inbound, the wrapper is the inner endpoint's <see cref="INetworkDispatcher"/> and hands packets on
/// to the stack's; outbound, it sits in <see cref="WritePackets"/>. A direction with no fault configured
/// costs one branch and allocates nothing.</para>
/// <para>Packets that must wait (delay, rate limit, reorder) are held with references of their own and
/// handed on from one callback of the <see cref="TimeProvider"/>'s timer (the thread pool in production,
/// the caller of <c>Advance</c> under a fake clock), one callback at a time, so the link's reader thread
/// never blocks. Packets that need not wait go on at once on the caller's thread. The timer's resolution
/// is 1 ms: a packet due at 10.3 ms goes at 11 ms.</para>
/// <para>Capabilities: corruption models damage on the wire, after any offload, so with inbound
/// corruption RX checksum offload is hidden (the stack must verify), with outbound corruption TX checksum
/// offload is hidden (a checksum filled in below us would hide the damage), and with any outbound fault
/// hardware GSO is hidden, since faults act per wire packet rather than per 64 KiB batch.</para>
/// <para><see cref="Attach"/>(null) and <see cref="Dispose"/> release every held packet (counted as
/// <c>drop_detached</c>) and wait at most <see cref="StopTimeout"/> for a delivery in progress.</para>
/// </remarks>
public sealed class FaultInjectingEndpoint : ILinkEndpoint, INetworkDispatcher
{
    /// <summary>The longest <see cref="Attach"/>(null) and <see cref="Dispose"/> wait for a delivery in progress.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    private const ulong InboundSalt = 0x696E626F756E6421; // keeps the two directions' streams unrelated
    private const ulong OutboundSalt = 0x6F7574626F756E64;

    private readonly ILinkEndpoint _inner;
    private readonly bool _leaveInnerOpen;
    private readonly TimeProvider _time;
    private readonly long _epoch;
    private readonly FaultLane _in;
    private readonly FaultLane _out;
    private readonly ITimer _timer;
    private readonly Lock _armLock = new();
    private readonly Lock _deliverGate = new();
    private readonly HeldPacket[] _due = new HeldPacket[FaultLane.BatchSize];
    private readonly PacketBuffer[] _writeBatch = new PacketBuffer[FaultLane.BatchSize];
    private volatile INetworkDispatcher? _dispatcher;
    private long _armedDue = long.MaxValue;
    private bool _stopped;
    private int _disposed;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The endpoint to wrap; disposed with this one unless <paramref name="leaveInnerOpen"/>.</param>
    /// <param name="options">The faults (validated here).</param>
    /// <param name="time">The clock for delays and the rate limiter (the system clock if null; a fake one in tests).</param>
    /// <param name="name">Prefix of the counter groups: <c>{name}_in</c> and <c>{name}_out</c>.</param>
    /// <param name="leaveInnerOpen">True to leave <paramref name="inner"/> undisposed when this endpoint is disposed.</param>
    public FaultInjectingEndpoint(ILinkEndpoint inner, FaultOptions options, TimeProvider? time = null, string name = "faults", bool leaveInnerOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(name);
        options.Validate();
        _inner = inner;
        _leaveInnerOpen = leaveInnerOpen;
        Options = options;
        Seed = options.Seed ?? (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue);
        _time = time ?? TimeProvider.System;
        _epoch = _time.GetTimestamp();
        InboundStats = new FaultStats($"{name}_in");
        OutboundStats = new FaultStats($"{name}_out");
        _in = new FaultLane(options.Inbound, Seed ^ InboundSalt, inbound: true, copyHeadroom: 0, InboundStats);
        _out = new FaultLane(options.Outbound, Seed ^ OutboundSalt, inbound: false, copyHeadroom: inner.MaxHeaderLength, OutboundStats);
        _timer = _time.CreateTimer(static s => ((FaultInjectingEndpoint)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The wrapped endpoint.</summary>
    public ILinkEndpoint Inner => _inner;

    /// <summary>The faults applied.</summary>
    public FaultOptions Options { get; }

    /// <summary>The seed in use (<see cref="FaultOptions.Seed"/>, or the one picked at random when it was null).</summary>
    public ulong Seed { get; }

    /// <summary>What was done to received packets.</summary>
    public FaultStats InboundStats { get; }

    /// <summary>What was done to sent packets.</summary>
    public FaultStats OutboundStats { get; }

    /// <summary>Packets held right now (delayed, rate-limited or held back for reordering), both directions.</summary>
    public int HeldPackets => _in.HeldCount + _out.HeldCount;

    /// <inheritdoc/>
    public int Mtu => _inner.Mtu;

    /// <inheritdoc/>
    public int MaxHeaderLength => _inner.MaxHeaderLength;

    /// <inheritdoc/>
    public LinkAddress LinkAddress => _inner.LinkAddress;

    /// <inheritdoc/>
    public LinkCapabilities Capabilities
    {
        get
        {
            var caps = _inner.Capabilities;
            if (Options.Inbound.CorruptProbability > 0)
            {
                caps &= ~LinkCapabilities.RxChecksumOffload;
            }
            if (Options.Outbound.CorruptProbability > 0)
            {
                caps &= ~LinkCapabilities.TxChecksumOffload;
            }
            if (Options.Outbound.IsActive)
            {
                caps &= ~LinkCapabilities.HardwareGso;
            }
            return caps;
        }
    }

    /// <inheritdoc/>
    public ArpHardwareType ArpHardwareType => _inner.ArpHardwareType;

    /// <inheritdoc/>
    public int GsoMaxSize => Options.Outbound.IsActive ? 0 : _inner.GsoMaxSize;

    /// <inheritdoc/>
    public bool IsAttached => _dispatcher is not null;

    private long Now => _time.GetElapsedTime(_epoch).Ticks;

    /// <inheritdoc/>
    public void Attach(INetworkDispatcher? dispatcher)
    {
        if (dispatcher is null)
        {
            _inner.Attach(null);
            _dispatcher = null;
            Stop();
            return;
        }
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _in.Open();
        _out.Open();
        lock (_armLock)
        {
            _stopped = false;
        }
        _dispatcher = dispatcher;
        _inner.Attach(this);
    }

    /// <inheritdoc/>
    public void Wait() => _inner.Wait();

    /// <inheritdoc/>
    public void AddHeader(PacketBuffer packet) => _inner.AddHeader(packet);

    /// <inheritdoc/>
    /// <remarks>
    /// Dropped and held packets count as written: the loss happens on the wire, out of the sender's sight.
    /// Packets that pass unchanged go to the inner endpoint in runs, as one batch when none is touched.
    /// </remarks>
    public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets)
    {
        if (!_out.Active)
        {
            return _inner.WritePackets(packets);
        }
        long now = _out.NeedsClock ? Now : 0;
        long wake = long.MaxValue;
        int runStart = 0;
        try
        {
            for (int i = 0; i < packets.Length; i++)
            {
                var batch = default(InlineBatch);
                wake = Math.Min(wake, _out.Offer(packets[i], packets[i].NetworkProtocol, now, ref batch));
                if (batch.IsOnly(packets[i]))
                {
                    continue;
                }
                try
                {
                    if (i > runStart)
                    {
                        var run = WriteInner(packets[runStart..i]);
                        if (!run.Ok)
                        {
                            return new WriteResult(runStart + run.Written, run.Error);
                        }
                    }
                    runStart = i + 1;
                    if (batch.Count > 0)
                    {
                        var r = WriteInner(batch.AsSpan());
                        if (!r.Ok)
                        {
                            return new WriteResult(r.Written > 0 ? i + 1 : i, r.Error);
                        }
                    }
                }
                finally
                {
                    batch.ReleaseOwned();
                }
            }
            if (runStart < packets.Length)
            {
                var rest = WriteInner(packets[runStart..]);
                return new WriteResult(runStart + rest.Written, rest.Error);
            }
            return new WriteResult(packets.Length, TcpipError.None);
        }
        finally
        {
            Arm(wake);
        }
    }

    /// <summary>
    /// Receives a packet from the inner endpoint (this is its dispatcher) and hands it, or what the faults
    /// make of it, to the stack's dispatcher.
    /// </summary>
    public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet)
    {
        var dispatcher = _dispatcher;
        if (dispatcher is null)
        {
            return;
        }
        if (!_in.Active)
        {
            dispatcher.DeliverNetworkPacket(protocol, packet);
            return;
        }
        var batch = default(InlineBatch);
        long wake = _in.Offer(packet, protocol, _in.NeedsClock ? Now : 0, ref batch);
        try
        {
            var packets = batch.AsSpan();
            for (int i = 0; i < packets.Length; i++)
            {
                dispatcher.DeliverNetworkPacket(batch.ProtocolAt(i), packets[i]);
            }
            InboundStats.Passed.Add(packets.Length);
        }
        finally
        {
            batch.ReleaseOwned();
        }
        Arm(wake);
    }

    /// <summary>Detaches, releases every held packet and disposes the inner endpoint (unless left open).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Attach(null);
        _timer.Dispose();
        if (!_leaveInnerOpen)
        {
            _inner.Dispose();
        }
    }

    private WriteResult WriteInner(ReadOnlySpan<PacketBuffer> packets)
    {
        var r = _inner.WritePackets(packets);
        OutboundStats.Passed.Add(r.Written);
        return r;
    }

    private void Stop()
    {
        lock (_armLock)
        {
            _stopped = true;
            _armedDue = long.MaxValue;
            try
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Already disposed: nothing will fire.
            }
        }
        _in.Close();
        _out.Close();
        // A delivery already under way owns what it took and releases it; wait for it, boundedly.
        if (_deliverGate.TryEnter(StopTimeout))
        {
            _deliverGate.Exit();
        }
    }

    // Programs the timer for `due` unless it is already set to fire sooner. The delay is rounded up to
    // whole milliseconds (never zero) so the timer never fires early or synchronously.
    private void Arm(long due)
    {
        if (due == long.MaxValue)
        {
            return;
        }
        lock (_armLock)
        {
            if (_stopped || due >= _armedDue)
            {
                return;
            }
            _armedDue = due;
            long ticks = due - Now;
            long ms = Math.Max(1, (ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
            try
            {
                _timer.Change(TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently: held packets were released by Stop.
            }
        }
    }

    private void OnTimer()
    {
        lock (_deliverGate)
        {
            lock (_armLock)
            {
                if (_stopped)
                {
                    return;
                }
                _armedDue = long.MaxValue;
            }
            long now = Now;
            DeliverInbound(now);
            DeliverOutbound(now);
            Arm(Math.Min(_in.NextDue(), _out.NextDue()));
        }
    }

    private void DeliverInbound(long now)
    {
        int n;
        while ((n = _in.TakeDue(now, _due)) > 0)
        {
            try
            {
                var dispatcher = _dispatcher;
                for (int i = 0; i < n; i++)
                {
                    if (dispatcher is null)
                    {
                        InboundStats.DroppedDetached.Increment();
                        continue;
                    }
                    try
                    {
                        dispatcher.DeliverNetworkPacket(_due[i].Protocol, _due[i].Packet);
                        InboundStats.Passed.Increment();
                    }
                    catch (Exception)
                    {
                        // The dispatcher must not throw; if it does, this timer thread must survive it.
                        InboundStats.DroppedHandlerFault.Increment();
                    }
                }
            }
            finally
            {
                ReleaseDue(n);
                _in.DoneDelivering();
            }
        }
    }

    private void DeliverOutbound(long now)
    {
        int n;
        while ((n = _out.TakeDue(now, _due)) > 0)
        {
            try
            {
                for (int i = 0; i < n; i++)
                {
                    _writeBatch[i] = _due[i].Packet;
                }
                int done = 0;
                while (done < n)
                {
                    WriteResult r;
                    try
                    {
                        r = WriteInner(_writeBatch.AsSpan(done, n - done));
                    }
                    catch (Exception)
                    {
                        // An inner endpoint disposed under us throws; the timer thread must survive it.
                        r = new WriteResult(0, TcpipError.Aborted);
                    }
                    done += r.Written;
                    if (!r.Ok)
                    {
                        OutboundStats.DroppedWriteError.Increment();
                        done++;
                    }
                }
            }
            finally
            {
                Array.Clear(_writeBatch, 0, n);
                ReleaseDue(n);
                _out.DoneDelivering();
            }
        }
    }

    private void ReleaseDue(int n)
    {
        for (int i = 0; i < n; i++)
        {
            _due[i].Packet.Release();
            _due[i] = default;
        }
    }
}
