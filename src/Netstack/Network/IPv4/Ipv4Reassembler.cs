using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Stack.Timers;

namespace Netstack.Network.IPv4;

/// <summary>
/// Puts fragmented datagrams back together (RFC 791 section 3.2, RFC 815). Fragments are keyed by
/// (source, destination, identification, protocol) and kept sorted by offset with no overlap, so the holes
/// are the gaps between them and the datagram is complete when the bytes held equal its length (known once
/// the last fragment arrived). Any overlap drops the whole datagram (no overlapping-fragment tricks: RFC 5722
/// for IPv6, Linux for IPv4); an exact duplicate (same range, same bytes) is dropped alone. The whole datagram is a chain of the
/// fragments' own buffer views: nothing is copied but its header.
/// </summary>
/// <remarks>
/// Limits: memory held by all reassemblies (pinned chunks, high/low water, oldest evicted first), fragments
/// per datagram, concurrent reassemblies, and a timeout on the stack's timer wheel after which an ICMP time
/// exceeded is sent if the first fragment had arrived (RFC 1122 3.3.2). State objects are pooled, so a
/// steady stream of fragmented datagrams allocates nothing.
/// </remarks>
internal sealed class Ipv4Reassembler
{
    private const int MaxPooled = 64;

    private readonly Ipv4Protocol _ip;
    private readonly Ipv4Stats _stats;
    private readonly Ipv4ProtocolOptions _options;
    private readonly TimerWheel _wheel;
    private readonly long _timeoutMs;
    private readonly Lock _gate = new();
    private readonly Dictionary<Key, Reassembly> _active = new();
    private readonly Stack<Reassembly> _free = new();
    private Reassembly? _oldest;
    private Reassembly? _newest;
    private long _memory;

    public Ipv4Reassembler(Ipv4Protocol ip, TimerWheel wheel)
    {
        _ip = ip;
        _stats = ip.Stats;
        _options = ip.Options;
        _wheel = wheel;
        _timeoutMs = (long)Math.Ceiling(_options.ReassemblyTimeout.TotalMilliseconds);
    }

    /// <summary>Datagrams being reassembled.</summary>
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
    public long Memory
    {
        get
        {
            lock (_gate)
            {
                return _memory;
            }
        }
    }

    /// <summary>
    /// Adds a fragment (network header consumed, data = the fragment's payload, addresses and protocol set).
    /// Returns the whole datagram when this fragment completes it (network header consumed, the caller
    /// releases it), otherwise null. The fragment itself stays the caller's; a reference is taken to keep it.
    /// </summary>
    public PacketBuffer? Add(Nic nic, PacketBuffer fragment, ushort identification, ushort flagsAndOffset)
    {
        _stats.FragmentsReceived.Increment();
        int start = (flagsAndOffset & Ipv4Header.FragmentOffsetMask) * 8;
        bool more = (flagsAndOffset & Ipv4Header.MoreFragmentsFlag) != 0;
        int length = fragment.DataSize;
        int end = start + length;
        var key = new Key(fragment.SourceAddress, fragment.DestinationAddress, identification, fragment.TransportProtocol);

        if (length == 0)
        {
            _stats.DroppedFragmentZeroLength.Increment();
            return null;
        }
        if (more && (length & 7) != 0)
        {
            // RFC 791: every fragment but the last carries a multiple of 8 bytes.
            _stats.DroppedFragmentBadLength.Increment();
            return null;
        }
        if (start == 0 && more && length < MinimumFirstFragment(fragment.TransportProtocol))
        {
            // RFC 1858 section 3.1: a first fragment too short for the transport header.
            _stats.DroppedFragmentTiny.Increment();
            return null;
        }

        lock (_gate)
        {
            _active.TryGetValue(key, out var r);
            if (end > Ipv4Header.MaximumTotalLength - Ipv4Header.MinimumSize)
            {
                // Ping of death: the datagram could not fit 65,535 bytes.
                _stats.DroppedFragmentTooBig.Increment();
                if (r is not null)
                {
                    Discard(r);
                }
                return null;
            }
            if (r is null)
            {
                if (_active.Count >= _options.MaxReassemblies)
                {
                    _stats.ReassemblyEvicted.Increment();
                    Discard(_oldest!);
                }
                r = Start(key, nic);
            }

            int pos = r.InsertionIndex(start);
            if (pos < r.Count && r.Fragments[pos].Start == start && r.Fragments[pos].End == end
                && SameData(r.Fragments[pos].Packet, fragment))
            {
                _stats.DroppedFragmentDuplicate.Increment();
                return null;
            }
            if ((pos > 0 && r.Fragments[pos - 1].End > start) || (pos < r.Count && r.Fragments[pos].Start < end))
            {
                _stats.DroppedFragmentOverlap.Increment();
                Discard(r);
                return null;
            }
            if (!more)
            {
                if ((r.Total >= 0 && end != r.Total) || end < r.MaxEnd)
                {
                    _stats.DroppedFragmentInconsistent.Increment();
                    Discard(r);
                    return null;
                }
                r.Total = end;
            }
            else if (r.Total >= 0 && end > r.Total)
            {
                _stats.DroppedFragmentInconsistent.Increment();
                Discard(r);
                return null;
            }
            if (r.Count >= _options.MaxFragmentsPerDatagram)
            {
                _stats.DroppedTooManyFragments.Increment();
                Discard(r);
                return null;
            }

            long trueSize = TrueSize(fragment);
            fragment.IncRef();
            r.Insert(pos, new Fragment(start, end, fragment, trueSize));
            r.Received += length;
            r.MaxEnd = Math.Max(r.MaxEnd, end);
            r.Memory += trueSize;
            _memory += trueSize;

            if (r.Total >= 0 && r.Received == r.Total)
            {
                var whole = Build(r);
                Discard(r);
                if (whole is not null)
                {
                    _stats.Reassembled.Increment();
                }
                return whole;
            }
            if (_memory > _options.ReassemblyHighWater)
            {
                while (_memory > _options.ReassemblyLowWater && _oldest is not null)
                {
                    _stats.ReassemblyEvicted.Increment();
                    Discard(_oldest);
                }
            }
            return null;
        }
    }

    /// <summary>Drops every reassembly that started on <paramref name="nic"/>.</summary>
    public void RemoveNic(Nic nic)
    {
        lock (_gate)
        {
            for (var r = _oldest; r is not null;)
            {
                var next = r.Newer;
                if (r.Nic == nic)
                {
                    Discard(r);
                }
                r = next;
            }
        }
    }

    // A retransmitted fragment repeats its bytes; the same range with other bytes is an attempt to rewrite
    // the datagram and is treated as an overlap (Linux keeps whichever came first).
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

    // TCP needs its 20-byte header whole in the first fragment so its ports and flags cannot be split;
    // UDP, ICMP and the rest need 8 bytes, which any first fragment (a multiple of 8) has.
    private static int MinimumFirstFragment(byte protocol) => protocol == TransportProtocolNumber.Tcp ? 20 : 8;

    // Memory a fragment pins: the capacity of the pooled chunks its views use (Linux counts skb truesize).
    private static long TrueSize(PacketBuffer packet)
    {
        long size = 0;
        foreach (var v in packet.Views)
        {
            size += v.Chunk.Capacity;
        }
        return size;
    }

    private Reassembly Start(Key key, Nic nic)
    {
        var r = _free.Count > 0 ? _free.Pop() : new Reassembly(this);
        r.Key = key;
        r.Nic = nic;
        r.Count = 0;
        r.Received = 0;
        r.Total = -1;
        r.MaxEnd = 0;
        r.Memory = 0;
        r.Active = true;
        r.Deadline = _wheel.NowMilliseconds + _timeoutMs;
        r.Older = _newest;
        r.Newer = null;
        if (_newest is not null)
        {
            _newest.Newer = r;
        }
        else
        {
            _oldest = r;
        }
        _newest = r;
        _active.Add(key, r);
        r.Timer.Schedule(TimeSpan.FromMilliseconds(_timeoutMs));
        return r;
    }

    // Removes a reassembly and releases its fragments (called under the lock).
    private void Discard(Reassembly r)
    {
        _active.Remove(r.Key);
        if (r.Older is not null)
        {
            r.Older.Newer = r.Newer;
        }
        else
        {
            _oldest = r.Newer;
        }
        if (r.Newer is not null)
        {
            r.Newer.Older = r.Older;
        }
        else
        {
            _newest = r.Older;
        }
        r.Older = null;
        r.Newer = null;
        r.Active = false;
        r.Timer.Cancel();
        for (int i = 0; i < r.Count; i++)
        {
            r.Fragments[i].Packet.Release();
            r.Fragments[i] = default;
        }
        r.Count = 0;
        r.Nic = null!;
        _memory -= r.Memory;
        if (_free.Count < MaxPooled)
        {
            _free.Push(r);
        }
    }

    // Chains the fragments' data views behind a copy of the first fragment's header, patched to describe
    // the whole datagram. Null when the result would exceed 65,535 bytes (options made the header longer).
    private PacketBuffer? Build(Reassembly r)
    {
        var first = r.Fragments[0].Packet;
        var header = first.NetworkHeader;
        int totalLength = header.Length + r.Total;
        if (totalLength > Ipv4Header.MaximumTotalLength)
        {
            _stats.DroppedFragmentTooBig.Increment();
            return null;
        }
        var whole = PacketBuffer.Rent(0, header.Length);
        whole.TryGetContiguousData(out var bytes);
        header.CopyTo(bytes);
        ushort flags = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(bytes[6..]) & Ipv4Header.DontFragmentFlag);
        Ipv4Header.TryParseQuoted(bytes, out var ip);
        ip.SetTotalLength((ushort)totalLength);
        ip.SetFlagsAndOffset(flags);
        ip.UpdateChecksum();
        for (int i = 0; i < r.Count; i++)
        {
            foreach (var view in r.Fragments[i].Packet.Data)
            {
                whole.AppendView(view);
            }
        }
        whole.CopyMetadataFrom(first);
        whole.TryConsumeHeader(HeaderKind.Network, header.Length, out _);
        return whole;
    }

    private void OnTimeout(Reassembly r)
    {
        Nic? nic = null;
        PacketBuffer? first = null;
        lock (_gate)
        {
            // The object is pooled: a late callback for an earlier use sees it inactive or with a later deadline.
            if (!r.Active || _wheel.NowMilliseconds < r.Deadline)
            {
                return;
            }
            _stats.ReassemblyTimeouts.Increment();
            if (r.Count > 0 && r.Fragments[0].Start == 0)
            {
                first = r.Fragments[0].Packet;
                first.IncRef();
                nic = r.Nic;
            }
            Discard(r);
        }
        if (first is not null)
        {
            try
            {
                // RFC 792 / RFC 1122 3.3.2: time exceeded (code 1) only if fragment zero arrived.
                _ip.SendIcmpError(nic!, first, IcmpErrorKind.ReassemblyTimeout);
            }
            finally
            {
                first.Release();
            }
        }
    }

    private readonly record struct Key(Address Source, Address Destination, ushort Identification, byte Protocol);

    private readonly record struct Fragment(int Start, int End, PacketBuffer Packet, long TrueSize);

    private sealed class Reassembly
    {
        public Reassembly(Ipv4Reassembler owner)
        {
            Timer = new WheelTimer(owner._wheel, static s =>
            {
                var r = (Reassembly)s!;
                r.Owner.OnTimeout(r);
            }, this);
            Owner = owner;
        }

        public Ipv4Reassembler Owner { get; }

        public WheelTimer Timer { get; }

        public Key Key;
        public Nic Nic = null!;
        public Fragment[] Fragments = new Fragment[8];
        public int Count;
        public int Received;
        public int Total;
        public int MaxEnd;
        public long Memory;
        public long Deadline;
        public bool Active;
        public Reassembly? Older;
        public Reassembly? Newer;

        // The index of the first fragment starting at or after `start` (fragments are few: a linear scan).
        public int InsertionIndex(int start)
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
