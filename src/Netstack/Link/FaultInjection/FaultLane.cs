using Netstack.Buffers;
using Netstack.Stack.Counters;

namespace Netstack.Link.FaultInjection;

/// <summary>
/// One direction of a <see cref="FaultInjectingEndpoint"/>: the random decisions, the reorder slot, the rate
/// limiter and the delay line. Decisions are taken under one lock in arrival order, so a seed gives the
/// same faults for the same packets. Each fault draws from its own stream, so turning one fault on or off
/// does not change which packets another one hits. Packets are handed on by the endpoint, never under
/// the lock.
/// </summary>
/// <remarks>
/// Held packets sit in one FIFO ring whose due times never decrease (jitter is clamped so nothing leaves
/// before a packet sent earlier), so no priority queue is needed. The rate limiter is a virtual-clock
/// token bucket (GCRA): each packet gets its departure time when it arrives.
/// </remarks>
internal sealed class FaultLane
{
    /// <summary>Most packets handed over per <see cref="TakeDue"/>.</summary>
    public const int BatchSize = 64;

    private readonly Lock _lock = new();
    private readonly bool _inbound;
    private readonly int _copyHeadroom;
    private readonly ulong _drop;
    private readonly ulong _duplicate;
    private readonly ulong _reorder;
    private readonly ulong _corrupt;
    private readonly long _delay;
    private readonly long _jitter;
    private readonly long _reorderHold;
    private readonly double _ticksPerByte;
    private readonly double _burstTicks;
    private readonly int _queueLimit;
    private readonly int _delayLimit;
    private readonly int _maxSize;
    private Xoshiro256 _dropRandom;
    private Xoshiro256 _duplicateRandom;
    private Xoshiro256 _reorderRandom;
    private Xoshiro256 _corruptRandom;
    private Xoshiro256 _jitterRandom;

    private HeldPacket[] _ring = new HeldPacket[64];
    private long _headSeq;
    private long _tailSeq;
    private long _departedSeq;
    private double _theoreticalArrival;
    private long _lastDue;
    private HeldPacket _held;
    private int _heldCopies;
    private long _heldDeadline;
    private bool _delivering;
    private bool _closed;

    /// <param name="faults">The settings (validated).</param>
    /// <param name="seed">This direction's seed.</param>
    /// <param name="inbound">True for received packets (duplicates are deep copies: the stack consumes headers in place).</param>
    /// <param name="copyHeadroom">Headroom given to copies (the inner link's header length, outbound).</param>
    /// <param name="stats">Where to count.</param>
    public FaultLane(DirectionFaults faults, ulong seed, bool inbound, int copyHeadroom, FaultStats stats)
    {
        Stats = stats;
        Active = faults.IsActive;
        NeedsClock = faults.Delay > TimeSpan.Zero || faults.RateBitsPerSecond > 0 || faults.ReorderProbability > 0;
        _inbound = inbound;
        _copyHeadroom = copyHeadroom;
        _drop = Xoshiro256.Threshold(faults.DropProbability);
        _duplicate = Xoshiro256.Threshold(faults.DuplicateProbability);
        _reorder = Xoshiro256.Threshold(faults.ReorderProbability);
        _corrupt = Xoshiro256.Threshold(faults.CorruptProbability);
        _delay = faults.Delay.Ticks;
        _jitter = faults.Jitter.Ticks;
        _reorderHold = faults.ReorderHold.Ticks;
        if (faults.RateBitsPerSecond > 0)
        {
            _ticksPerByte = 8.0 * TimeSpan.TicksPerSecond / faults.RateBitsPerSecond;
            _burstTicks = faults.BurstBytes * _ticksPerByte;
        }
        _queueLimit = faults.QueueLimit;
        _delayLimit = faults.DelayLimit;
        _maxSize = faults.MaxPacketSize;
        ulong state = seed;
        _dropRandom = new Xoshiro256(Xoshiro256.SplitMix64(ref state));
        _duplicateRandom = new Xoshiro256(Xoshiro256.SplitMix64(ref state));
        _reorderRandom = new Xoshiro256(Xoshiro256.SplitMix64(ref state));
        _corruptRandom = new Xoshiro256(Xoshiro256.SplitMix64(ref state));
        _jitterRandom = new Xoshiro256(Xoshiro256.SplitMix64(ref state));
    }

    /// <summary>False when no fault is configured: the endpoint then bypasses the lane entirely.</summary>
    public bool Active { get; }

    /// <summary>True when a fault depends on time (delay, rate, reorder); otherwise <see cref="Offer"/> may be given 0 as the time.</summary>
    public bool NeedsClock { get; }

    /// <summary>The direction's counters.</summary>
    public FaultStats Stats { get; }

    /// <summary>Packets held (delay line, rate queue and reorder slot).</summary>
    public int HeldCount
    {
        get
        {
            lock (_lock)
            {
                return (int)(_tailSeq - _headSeq) + (_held.Packet is null ? 0 : 1);
            }
        }
    }

    /// <summary>
    /// Takes the decisions for <paramref name="packet"/> (which the caller keeps) at time
    /// <paramref name="now"/>. What goes on at once lands in <paramref name="batch"/>; the rest is held with
    /// references of its own. Returns the earliest new due time to wake up for, or <see cref="long.MaxValue"/>.
    /// </summary>
    public long Offer(PacketBuffer packet, ushort protocol, long now, ref InlineBatch batch)
    {
        Stats.Packets.Increment();
        int linkLength = packet.LinkHeader.Length;
        int size = packet.Size - linkLength;
        lock (_lock)
        {
            // Every enabled fault draws for every packet, so each stream stays aligned with the packet sequence.
            bool drop = _drop != 0 && _dropRandom.Chance(_drop);
            bool duplicate = _duplicate != 0 && _duplicateRandom.Chance(_duplicate);
            bool reorder = _reorder != 0 && _reorderRandom.Chance(_reorder);
            bool corrupt = _corrupt != 0 && _corruptRandom.Chance(_corrupt) && size > 0;
            int flipAt = corrupt ? linkLength + _corruptRandom.NextInt(size) : 0;
            int flipBit = corrupt ? _corruptRandom.NextInt(8) : 0;
            if (_maxSize != 0 && size > _maxSize)
            {
                Stats.DroppedTooLarge.Increment();
                return long.MaxValue;
            }
            if (drop)
            {
                Stats.DroppedRandom.Increment();
                return long.MaxValue;
            }
            var current = packet;
            bool owned = false;
            if (corrupt)
            {
                // A private copy: the sender's chunks may be shared (retransmit queues, clones).
                current = packet.DeepCopy(_copyHeadroom);
                owned = true;
                FlipBit(current, flipAt, flipBit);
                current.RxChecksumValidated = false;
                Stats.Corrupted.Increment();
            }
            int copies = 1;
            if (duplicate)
            {
                copies = 2;
                Stats.Duplicated.Increment();
            }
            if (reorder && _held.Packet is null && !_closed)
            {
                _held = new HeldPacket(owned ? current : current.Clone(), protocol, 0, 0);
                _heldCopies = copies;
                _heldDeadline = now + _reorderHold;
                return _heldDeadline;
            }
            long wake = Admit(current, protocol, owned, copies, now, allowInline: true, ref batch);
            if (_held.Packet is not null)
            {
                var held = _held;
                _held = default;
                Stats.Reordered.Increment();
                wake = Math.Min(wake, Admit(held.Packet, held.Protocol, owned: true, _heldCopies, now, allowInline: true, ref batch));
            }
            return wake;
        }
    }

    /// <summary>
    /// Moves up to <paramref name="output"/>'s length of packets due at <paramref name="now"/> out of the
    /// lane (their references go with them) and marks a delivery in progress until <see cref="DoneDelivering"/>.
    /// </summary>
    public int TakeDue(long now, Span<HeldPacket> output)
    {
        lock (_lock)
        {
            if (_held.Packet is not null && _heldDeadline <= now)
            {
                var held = _held;
                _held = default;
                Stats.ReorderExpired.Increment();
                var none = default(InlineBatch);
                Admit(held.Packet, held.Protocol, owned: true, _heldCopies, now, allowInline: false, ref none);
            }
            int n = 0;
            while (n < output.Length && _headSeq < _tailSeq)
            {
                ref var head = ref _ring[_headSeq & (_ring.Length - 1)];
                if (head.Due > now)
                {
                    break;
                }
                output[n++] = head;
                head = default;
                _headSeq++;
            }
            _delivering = n > 0;
            return n;
        }
    }

    /// <summary>Ends the delivery begun by <see cref="TakeDue"/>.</summary>
    public void DoneDelivering()
    {
        lock (_lock)
        {
            _delivering = false;
        }
    }

    /// <summary>The earliest time something held is due, or <see cref="long.MaxValue"/>.</summary>
    public long NextDue()
    {
        lock (_lock)
        {
            long next = _headSeq < _tailSeq ? _ring[_headSeq & (_ring.Length - 1)].Due : long.MaxValue;
            return _held.Packet is null ? next : Math.Min(next, _heldDeadline);
        }
    }

    /// <summary>Releases everything held and holds nothing more until <see cref="Open"/> (packets that would wait are dropped).</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            while (_headSeq < _tailSeq)
            {
                ref var item = ref _ring[_headSeq & (_ring.Length - 1)];
                item.Packet.Release();
                item = default;
                _headSeq++;
                Stats.DroppedDetached.Increment();
            }
            _departedSeq = _headSeq;
            if (_held.Packet is not null)
            {
                _held.Packet.Release();
                _held = default;
                Stats.DroppedDetached.Increment();
            }
        }
    }

    /// <summary>Lets the lane hold packets again.</summary>
    public void Open()
    {
        lock (_lock)
        {
            _closed = false;
        }
    }

    // Puts `packet` (and its duplicate) through the rate limiter and the delay line: on at once into
    // `batch` when nothing is waiting ahead of it, else into the ring. `owned`: the lane holds a
    // reference to `packet` already. Returns the due time to wake for, or long.MaxValue.
    private long Admit(PacketBuffer packet, ushort protocol, bool owned, int copies, long now, bool allowInline, ref InlineBatch batch)
    {
        PacketBuffer? duplicate = null;
        if (copies == 2)
        {
            // Inbound the stack consumes headers in the packet object and may rewrite bytes (TTL), so the
            // second delivery needs bytes of its own; outbound a clone shares the sender's immutable bytes.
            duplicate = _inbound ? packet.DeepCopy() : packet.Clone();
        }
        long wake = AdmitOne(packet, protocol, owned, now, allowInline, ref batch);
        if (duplicate is not null)
        {
            wake = Math.Min(wake, AdmitOne(duplicate, protocol, owned: true, now, allowInline, ref batch));
        }
        return wake;
    }

    private long AdmitOne(PacketBuffer packet, ushort protocol, bool owned, long now, bool allowInline, ref InlineBatch batch)
    {
        long departure = now;
        double start = 0;
        if (_ticksPerByte > 0)
        {
            // GCRA: the packet may leave once the theoretical arrival time is within the burst allowance.
            start = Math.Max(_theoreticalArrival - _burstTicks, now);
            departure = (long)Math.Ceiling(start);
            if (departure > now && RateWaiting(now) >= _queueLimit)
            {
                return Drop(packet, owned, Stats.DroppedQueueFull);
            }
        }
        long due = departure;
        if (_delay > 0)
        {
            due += _delay;
            if (_jitter > 0)
            {
                due += _jitterRandom.NextInt((int)(2 * _jitter + 1)) - _jitter;
            }
        }
        // Nothing overtakes a packet sent earlier: reordering is the reorder fault's job alone.
        due = Math.Max(due, _lastDue);
        bool inline = allowInline && due <= now && _headSeq == _tailSeq && !_delivering;
        if (!inline)
        {
            if (_closed)
            {
                return Drop(packet, owned, Stats.DroppedDetached);
            }
            if (departure <= now && (_tailSeq - _headSeq) - RateWaiting(now) >= _delayLimit)
            {
                return Drop(packet, owned, Stats.DroppedDelayLimit);
            }
        }
        if (_ticksPerByte > 0)
        {
            _theoreticalArrival = Math.Max(_theoreticalArrival, start) + (packet.Size - packet.LinkHeader.Length) * _ticksPerByte;
        }
        _lastDue = due;
        if (inline)
        {
            batch.Add(packet, protocol, owned);
            return long.MaxValue;
        }
        if (departure > now)
        {
            Stats.RateLimited.Increment();
        }
        if (_delay > 0)
        {
            Stats.Delayed.Increment();
        }
        Enqueue(new HeldPacket(owned ? packet : packet.Clone(), protocol, due, departure));
        return due;
    }

    private static long Drop(PacketBuffer packet, bool owned, Counter reason)
    {
        reason.Increment();
        if (owned)
        {
            packet.Release();
        }
        return long.MaxValue;
    }

    // Packets in the ring still waiting for the rate limiter. Departures never decrease along the ring,
    // so those are a suffix of it; the cursor only moves forward.
    private long RateWaiting(long now)
    {
        if (_departedSeq < _headSeq)
        {
            _departedSeq = _headSeq;
        }
        while (_departedSeq < _tailSeq && _ring[_departedSeq & (_ring.Length - 1)].Departure <= now)
        {
            _departedSeq++;
        }
        return _tailSeq - _departedSeq;
    }

    private void Enqueue(HeldPacket item)
    {
        if (_tailSeq - _headSeq == _ring.Length)
        {
            // Grows only while the backlog sets a new high (bounded by the queue and delay limits).
            var bigger = new HeldPacket[_ring.Length * 2];
            for (long s = _headSeq; s < _tailSeq; s++)
            {
                bigger[s & (bigger.Length - 1)] = _ring[s & (_ring.Length - 1)];
            }
            _ring = bigger;
        }
        _ring[_tailSeq & (_ring.Length - 1)] = item;
        _tailSeq++;
    }

    private static void FlipBit(PacketBuffer packet, int position, int bit)
    {
        int start = 0;
        foreach (var view in packet.Views)
        {
            if (position < start + view.Length)
            {
                view.Span[position - start] ^= (byte)(1 << bit);
                return;
            }
            start += view.Length;
        }
    }
}
