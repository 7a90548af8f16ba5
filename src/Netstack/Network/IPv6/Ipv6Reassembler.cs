using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack.Timers;

namespace Netstack.Network.IPv6;

/// <summary>
/// Fragment reassembly (RFC 8200 section 4.5). Fragments are kept as they arrived (a reference to each
/// packet, no copy) and the reassembled packet is a new packet whose data views point into them; only
/// the unfragmentable part (the IPv6 header and the extension headers before the fragment header) is
/// copied. Overlaps discard the whole packet (RFC 5722), exact duplicates only themselves. Bounded in
/// memory, in fragments per packet and in packets at once; incomplete packets time out.
/// </summary>
internal sealed class Ipv6Reassembler
{
    // Recycled reassembly objects kept, so that steady fragmented traffic allocates nothing.
    private const int MaxFree = 64;

    private readonly Dictionary<ReassemblyKey, Ipv6Reassembly> _packets = new();
    private readonly LinkedList<Ipv6Reassembly> _byAge = new();
    private readonly Stack<Ipv6Reassembly> _free = new();
    private readonly Lock _gate = new();
    private readonly Ipv6Options _options;
    private readonly Ipv6Stats _stats;
    private readonly TimerWheel _wheel;
    private readonly Action<int, PacketBuffer> _onTimeout;
    private readonly Action<object?> _timerCallback;
    private long _bytes;

    /// <param name="options">Limits and timeout.</param>
    /// <param name="stats">Where drops are counted.</param>
    /// <param name="wheel">Timer wheel for the timeouts.</param>
    /// <param name="onTimeout">Called (outside the lock) with the NIC id and the first fragment when a packet whose first fragment arrived times out.</param>
    public Ipv6Reassembler(Ipv6Options options, Ipv6Stats stats, TimerWheel wheel, Action<int, PacketBuffer> onTimeout)
    {
        _options = options;
        _stats = stats;
        _wheel = wheel;
        _onTimeout = onTimeout;
        _timerCallback = state => OnTimeout((Ipv6Reassembly)state!);
    }

    /// <summary>Packets being reassembled (tombstones of discarded ones included).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _packets.Count;
            }
        }
    }

    /// <summary>Memory pinned by held fragments.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Adds a fragment (network header consumed up to and including the fragment header; its data is the
    /// fragment data). Returns the reassembled packet, owned by the caller, when this fragment completed
    /// one; otherwise null. The caller keeps its own reference to <paramref name="fragment"/>.
    /// </summary>
    public PacketBuffer? Add(int nicId, PacketBuffer fragment, in FragmentInfo info)
    {
        lock (_gate)
        {
            var key = info.Key;
            if (!_packets.TryGetValue(key, out var r))
            {
                if (_packets.Count >= _options.MaxReassemblies)
                {
                    EvictOldest();
                }
                r = _free.Count > 0 ? _free.Pop() : new Ipv6Reassembly(_wheel, _timerCallback);
                r.Reset(key, nicId);
                _byAge.AddLast(r.AgeNode);
                _packets.Add(key, r);
                r.ExpiresAt = _wheel.NowMilliseconds + (long)_options.ReassemblyTimeout.TotalMilliseconds;
                r.Timer.Schedule(_options.ReassemblyTimeout);
            }
            if (r.Discarded)
            {
                _stats.DroppedFragmentOfDiscardedPacket.Increment();
                return null;
            }
            // Every fragment must agree on where the packet ends.
            bool inconsistent = info.MoreFragments
                ? r.Total >= 0 && info.End > r.Total
                : (r.Total >= 0 && r.Total != info.End) || r.MaxEnd > info.End;
            if (inconsistent)
            {
                Discard(r);
                _stats.DroppedFragmentInconsistentEnd.Increment();
                return null;
            }
            int index = r.IndexFor(info.Offset);
            var slots = r.Slots;
            if (index < slots.Length && slots[index].Start == info.Offset && slots[index].End == info.End)
            {
                // RFC 8200 section 4.5: an exact duplicate may be dropped on its own.
                _stats.DroppedFragmentDuplicate.Increment();
                return null;
            }
            if ((index > 0 && slots[index - 1].End > info.Offset) || (index < slots.Length && slots[index].Start < info.End))
            {
                Discard(r);
                _stats.DroppedFragmentOverlap.Increment();
                return null;
            }
            if (r.Count >= _options.MaxFragmentsPerPacket)
            {
                Discard(r);
                _stats.DroppedTooManyFragments.Increment();
                return null;
            }
            _bytes += r.Insert(index, fragment, info);
            if (r.IsComplete)
            {
                var whole = Build(r);
                Remove(r);
                _stats.PacketsReassembled.Increment();
                return whole;
            }
            if (_bytes > _options.MaxReassemblyBytes)
            {
                ShrinkTo(_options.MaxReassemblyBytes * 3 / 4, r);
            }
            return null;
        }
    }

    /// <summary>Drops every packet being reassembled from <paramref name="nicId"/>.</summary>
    public void RemoveNic(int nicId)
    {
        lock (_gate)
        {
            foreach (var r in _packets.Values.Where(r => r.NicId == nicId).ToArray())
            {
                Remove(r);
            }
        }
    }

    private static PacketBuffer Build(Ipv6Reassembly r)
    {
        var first = r.First!;
        int unfragmentable = r.UnfragmentableLength;
        var whole = PacketBuffer.Rent(0, unfragmentable);
        whole.TryGetContiguousData(out var header);
        first.NetworkHeader[..unfragmentable].CopyTo(header);
        // The Next Header field that named the fragment header now names the fragmentable part (RFC 8200 section 4.5).
        header[r.FragmentFieldOffset] = r.NextHeader;
        Ipv6Header.TryParse(header, out var ip);
        ip.PayloadLength = (ushort)(unfragmentable - Ipv6Header.Size + r.Total);
        foreach (var slot in r.Slots)
        {
            foreach (var view in slot.Packet.Data)
            {
                whole.AppendView(view);
            }
        }
        whole.TryConsumeHeader(HeaderKind.Network, unfragmentable, out _);
        whole.CopyMetadataFrom(first);
        whole.RxChecksumValidated = false;
        return whole;
    }

    private void Discard(Ipv6Reassembly r)
    {
        _bytes -= r.Bytes;
        r.ReleaseFragments(tombstone: true);
    }

    private void Remove(Ipv6Reassembly r)
    {
        _bytes -= r.Bytes;
        r.ReleaseFragments(tombstone: false);
        r.Timer.Cancel();
        _packets.Remove(r.Key);
        _byAge.Remove(r.AgeNode);
        if (_free.Count < MaxFree)
        {
            _free.Push(r);
        }
    }

    private void EvictOldest()
    {
        if (_byAge.First is { } oldest)
        {
            Remove(oldest.Value);
            _stats.ReassembliesEvicted.Increment();
        }
    }

    // Frees memory oldest first; the packet that just grew goes last.
    private void ShrinkTo(long target, Ipv6Reassembly current)
    {
        var node = _byAge.First;
        while (_bytes > target && node is not null)
        {
            var next = node.Next;
            if (node.Value != current && node.Value.Bytes > 0)
            {
                Remove(node.Value);
                _stats.ReassembliesEvicted.Increment();
            }
            node = next;
        }
        if (_bytes > target)
        {
            Remove(current);
            _stats.ReassembliesEvicted.Increment();
        }
    }

    private void OnTimeout(Ipv6Reassembly r)
    {
        PacketBuffer? first = null;
        int nicId;
        lock (_gate)
        {
            // A late firing for an earlier use of this (recycled) object finds a later deadline.
            if (!_packets.TryGetValue(r.Key, out var current) || current != r || _wheel.NowMilliseconds < r.ExpiresAt)
            {
                return;
            }
            nicId = r.NicId;
            if (!r.Discarded)
            {
                _stats.ReassemblyTimeouts.Increment();
                first = r.First;
                first?.IncRef();
            }
            Remove(r);
        }
        if (first is not null)
        {
            try
            {
                _onTimeout(nicId, first);
            }
            finally
            {
                first.Release();
            }
        }
    }
}
