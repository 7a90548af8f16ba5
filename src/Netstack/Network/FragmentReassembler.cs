using Netstack.Buffers;
using Netstack.Stack;
using Netstack.Stack.Timers;

namespace Netstack.Network;

/// <summary>
/// Puts fragmented datagrams back together for IPv4 (RFC 791, RFC 815) and IPv6 (RFC 8200 section 4.5); each
/// protocol configures one with its key, limits and overlap policy (<see cref="ReassemblyOptions"/>) and
/// keeps what is its own: the checks on a fragment's header before it gets here, and the header of the
/// whole datagram.
/// </summary>
/// <remarks>
/// Fragments are held by reference (no copy), sorted by offset and never overlapping, so the holes are the
/// gaps between them and a datagram is complete when the bytes held equal its length (known once the last
/// fragment arrived). Every fragment must agree on where the datagram ends; an exact duplicate is dropped on
/// its own; any other overlap discards the whole datagram (RFC 5722; Linux does the same for IPv4). The whole
/// datagram is a new packet: the header the protocol builds, then the fragments' data views in order.
/// Bounded in memory (counted as the pooled chunks fragments pin, Linux's truesize, with high and low water
/// marks, oldest evicted first), in fragments per datagram and in datagrams at once. A datagram times out on
/// the stack's timer wheel, and the protocol is told so it can send its time exceeded. State objects and their
/// timers are recycled, so steady fragmented traffic allocates nothing but the reassembled packet object.
/// </remarks>
/// <typeparam name="TKey">What fragments of one datagram share (addresses, identification, ...).</typeparam>
internal sealed class FragmentReassembler<TKey>
    where TKey : struct, IEquatable<TKey>
{
    // Recycled datagram objects kept, so that steady fragmented traffic allocates nothing.
    private const int MaxPooled = 64;

    // A recycled object whose fragment array grew beyond this gets a small one again.
    private const int MaxPooledFragments = 64;

    private readonly ReassemblyOptions _options;
    private readonly ReassemblyCounters _counters;
    private readonly TimerWheel _wheel;
    private readonly long _timeoutMs;
    private readonly Func<PacketBuffer, int, PacketBuffer?> _buildHeader;
    private readonly Action<Nic, PacketBuffer> _onTimeout;
    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, Datagram> _active = new();
    private readonly Stack<Datagram> _free = new();
    private Datagram? _oldest;
    private Datagram? _newest;
    private long _memory;

    /// <param name="options">Limits and overlap policy.</param>
    /// <param name="counters">Where drops and outcomes are counted.</param>
    /// <param name="wheel">The stack's timer wheel.</param>
    /// <param name="buildHeader">
    /// Given the first fragment (its network header in place) and the length of the whole datagram's data,
    /// returns a new packet whose data is the whole datagram's network header, or null when there can be no
    /// such datagram (the protocol counts why). Called under the reassembler's lock.
    /// </param>
    /// <param name="onTimeout">Called, outside the lock, with the NIC and the first fragment when a datagram whose first fragment arrived times out.</param>
    public FragmentReassembler(ReassemblyOptions options, ReassemblyCounters counters, TimerWheel wheel,
        Func<PacketBuffer, int, PacketBuffer?> buildHeader, Action<Nic, PacketBuffer> onTimeout)
    {
        _options = options;
        _counters = counters;
        _wheel = wheel;
        _timeoutMs = (long)Math.Ceiling(options.Timeout.TotalMilliseconds);
        _buildHeader = buildHeader;
        _onTimeout = onTimeout;
    }

    /// <summary>Datagrams being reassembled (with <see cref="ReassemblyOptions.DiscardUntilTimeout"/>, discarded ones too).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _active.Count;
            }
        }
    }

    /// <summary>Bytes of pooled memory the held fragments pin.</summary>
    public long Memory => Interlocked.Read(ref _memory);

    /// <summary>
    /// Adds a fragment whose data (network header consumed, addresses and protocol set) starts at
    /// <paramref name="start"/> in the datagram; <paramref name="more"/> is its more-fragments flag. Returns the
    /// whole datagram when this fragment completes it (network header consumed, owned by the caller), otherwise
    /// null. The fragment stays the caller's; the reassembler takes its own reference to keep it.
    /// </summary>
    public PacketBuffer? Add(Nic nic, in TKey key, PacketBuffer fragment, int start, bool more)
    {
        int end = start + fragment.DataSize;
        lock (_gate)
        {
            if (!_active.TryGetValue(key, out var d))
            {
                if (_active.Count >= _options.MaxReassemblies)
                {
                    _counters.Evicted.Increment();
                    Remove(_oldest!);
                }
                d = Start(key, nic);
            }
            if (d.Discarded)
            {
                _counters.AfterDiscard?.Increment();
                return null;
            }
            // Every fragment must agree on where the datagram ends (checked first, as Linux does).
            bool inconsistent = more
                ? d.Total >= 0 && end > d.Total
                : (d.Total >= 0 && end != d.Total) || end < d.MaxEnd;
            if (inconsistent)
            {
                _counters.Inconsistent.Increment();
                Discard(d);
                return null;
            }
            int index = d.IndexFor(start);
            if (index < d.Count && d.Fragments[index].Start == start && d.Fragments[index].End == end
                && (!_options.DuplicatesMustMatchBytes || SameData(d.Fragments[index].Packet, fragment)))
            {
                _counters.Duplicate.Increment();
                return null;
            }
            if ((index > 0 && d.Fragments[index - 1].End > start) || (index < d.Count && d.Fragments[index].Start < end))
            {
                _counters.Overlap.Increment();
                Discard(d);
                return null;
            }
            if (d.Count >= _options.MaxFragments)
            {
                _counters.TooManyFragments.Increment();
                Discard(d);
                return null;
            }

            long pinned = PinnedBytes(fragment);
            fragment.IncRef();
            d.Insert(index, new Fragment(start, end, fragment));
            d.Received += end - start;
            d.MaxEnd = Math.Max(d.MaxEnd, end);
            d.Memory += pinned;
            _memory += pinned;
            if (!more)
            {
                d.Total = end;
            }

            if (d.Total >= 0 && d.Received == d.Total)
            {
                var whole = Build(d);
                Remove(d);
                if (whole is not null)
                {
                    _counters.Reassembled.Increment();
                }
                return whole;
            }
            if (_memory > _options.HighWater)
            {
                Shrink(d);
            }
            return null;
        }
    }

    /// <summary>Discards the datagram <paramref name="key"/> names, if one is being reassembled (a fragment showed it can never be valid).</summary>
    public void Discard(in TKey key)
    {
        lock (_gate)
        {
            if (_active.TryGetValue(key, out var d) && !d.Discarded)
            {
                Discard(d);
            }
        }
    }

    /// <summary>Forgets every datagram that started on <paramref name="nic"/>.</summary>
    public void RemoveNic(Nic nic)
    {
        lock (_gate)
        {
            for (var d = _oldest; d is not null;)
            {
                var next = d.Newer;
                if (d.Nic == nic)
                {
                    Remove(d);
                }
                d = next;
            }
        }
    }

    // A retransmitted fragment repeats its bytes; the same range with other bytes is an attempt to rewrite
    // the datagram.
    private static bool SameData(PacketBuffer a, PacketBuffer b)
    {
        var left = a.Data.GetEnumerator();
        var right = b.Data.GetEnumerator();
        ReadOnlySpan<byte> x = default;
        ReadOnlySpan<byte> y = default;
        while (true)
        {
            if (x.IsEmpty && left.MoveNext())
            {
                x = left.Current.Span;
            }
            if (y.IsEmpty && right.MoveNext())
            {
                y = right.Current.Span;
            }
            if (x.IsEmpty || y.IsEmpty)
            {
                return x.IsEmpty && y.IsEmpty;
            }
            int n = Math.Min(x.Length, y.Length);
            if (!x[..n].SequenceEqual(y[..n]))
            {
                return false;
            }
            x = x[n..];
            y = y[n..];
        }
    }

    // Memory a fragment pins: the capacity of the pooled chunks its views use (Linux counts skb truesize),
    // so tiny fragments in big buffers cannot evade the limit.
    private static long PinnedBytes(PacketBuffer packet)
    {
        long size = 0;
        foreach (var v in packet.Views)
        {
            size += v.Chunk.Capacity;
        }
        return size;
    }

    private Datagram Start(TKey key, Nic nic)
    {
        var d = _free.Count > 0 ? _free.Pop() : new Datagram(this);
        d.Key = key;
        d.Nic = nic;
        d.Total = -1;
        d.Active = true;
        d.Deadline = _wheel.NowMilliseconds + _timeoutMs;
        d.Older = _newest;
        if (_newest is not null)
        {
            _newest.Newer = d;
        }
        else
        {
            _oldest = d;
        }
        _newest = d;
        _active.Add(key, d);
        d.Timer.Schedule(TimeSpan.FromMilliseconds(_timeoutMs));
        return d;
    }

    // The datagram can never be valid: with DiscardUntilTimeout it stays known (holding nothing) until its
    // timeout, else it goes now.
    private void Discard(Datagram d)
    {
        if (_options.DiscardUntilTimeout)
        {
            ReleaseFragments(d);
            d.Discarded = true;
        }
        else
        {
            Remove(d);
        }
    }

    // Forgets a datagram and recycles its object (called under the lock).
    private void Remove(Datagram d)
    {
        _active.Remove(d.Key);
        if (d.Older is not null)
        {
            d.Older.Newer = d.Newer;
        }
        else
        {
            _oldest = d.Newer;
        }
        if (d.Newer is not null)
        {
            d.Newer.Older = d.Older;
        }
        else
        {
            _newest = d.Older;
        }
        d.Older = null;
        d.Newer = null;
        d.Active = false;
        d.Discarded = false;
        d.Timer.Cancel();
        ReleaseFragments(d);
        d.Nic = null!;
        if (_free.Count < MaxPooled)
        {
            if (d.Fragments.Length > MaxPooledFragments)
            {
                d.Fragments = new Fragment[8];
            }
            _free.Push(d);
        }
    }

    private void ReleaseFragments(Datagram d)
    {
        for (int i = 0; i < d.Count; i++)
        {
            d.Fragments[i].Packet.Release();
            d.Fragments[i] = default;
        }
        _memory -= d.Memory;
        d.Count = 0;
        d.Received = 0;
        d.MaxEnd = 0;
        d.Memory = 0;
    }

    // Above the high water mark: evicts the oldest datagrams that hold memory until the low water mark is
    // reached; the one that just grew goes last, since it is the one making progress.
    private void Shrink(Datagram current)
    {
        for (var d = _oldest; d is not null && _memory > _options.LowWater;)
        {
            var next = d.Newer;
            if (d != current && d.Memory > 0)
            {
                _counters.Evicted.Increment();
                Remove(d);
            }
            d = next;
        }
        if (_memory > _options.LowWater)
        {
            _counters.Evicted.Increment();
            Remove(current);
        }
    }

    // The protocol's header for the whole datagram, then every fragment's data views in order.
    private PacketBuffer? Build(Datagram d)
    {
        var first = d.Fragments[0].Packet;
        var whole = _buildHeader(first, d.Total);
        if (whole is null)
        {
            return null;
        }
        int headerLength = whole.DataSize;
        for (int i = 0; i < d.Count; i++)
        {
            foreach (var view in d.Fragments[i].Packet.Data)
            {
                whole.AppendView(view);
            }
        }
        whole.CopyMetadataFrom(first);
        whole.TryConsumeHeader(HeaderKind.Network, headerLength, out _);
        // A link that validated a checksum validated it per fragment, never the whole transport message.
        whole.RxChecksumValidated = false;
        return whole;
    }

    private void OnTimeout(Datagram d)
    {
        Nic? nic = null;
        PacketBuffer? first = null;
        lock (_gate)
        {
            // The object is recycled: a late callback for an earlier use sees it inactive or with a later deadline.
            if (!d.Active || _wheel.NowMilliseconds < d.Deadline)
            {
                return;
            }
            if (!d.Discarded)
            {
                _counters.Timeouts.Increment();
                if (d.Count > 0 && d.Fragments[0].Start == 0)
                {
                    first = d.Fragments[0].Packet;
                    first.IncRef();
                    nic = d.Nic;
                }
            }
            Remove(d);
        }
        if (first is not null)
        {
            try
            {
                _onTimeout(nic!, first);
            }
            finally
            {
                first.Release();
            }
        }
    }

    private readonly record struct Fragment(int Start, int End, PacketBuffer Packet);

    // One datagram being reassembled: its fragments sorted by offset, its place in the age list and its timer.
    private sealed class Datagram
    {
        public Datagram(FragmentReassembler<TKey> owner)
        {
            Timer = new WheelTimer(owner._wheel, static s =>
            {
                var d = (Datagram)s!;
                d.Owner.OnTimeout(d);
            }, this);
            Owner = owner;
        }

        public FragmentReassembler<TKey> Owner { get; }

        public WheelTimer Timer { get; }

        public TKey Key;
        public Nic Nic = null!;
        public Fragment[] Fragments = new Fragment[8];
        public int Count;
        public int Received;
        public int Total;
        public int MaxEnd;
        public long Memory;
        public long Deadline;
        public bool Active;
        public bool Discarded;
        public Datagram? Older;
        public Datagram? Newer;

        // The index of the first fragment starting at or after `start` (fragments are few: a linear scan).
        public int IndexFor(int start)
        {
            int i = Count;
            while (i > 0 && Fragments[i - 1].Start >= start)
            {
                i--;
            }
            return i;
        }

        public void Insert(int index, Fragment fragment)
        {
            if (Count == Fragments.Length)
            {
                Array.Resize(ref Fragments, Count * 2);
            }
            Array.Copy(Fragments, index, Fragments, index + 1, Count - index);
            Fragments[index] = fragment;
            Count++;
        }
    }
}
