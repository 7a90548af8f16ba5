using Netstack.Buffers;
using Netstack.Headers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// Segments received above RCV.NXT, waiting for the gap below them to fill: sorted, never overlapping
/// (a new segment keeps only the bytes not already held, so duplicates and overlaps cost nothing), bounded
/// in count. Each entry is one view holding a reference to the chunk its bytes are in: the chunk they were
/// received in, or a compact chunk they were copied to (small pieces, and everything <see cref="Collapse"/>
/// copies). <see cref="Memory"/> is what the queue pins (Linux's truesize). It also remembers which ranges
/// arrived most recently, for the SACK blocks (RFC 2018 section 4 wants the newest first).
/// Not thread-safe: the connection's lock guards it.
/// </summary>
internal sealed class OutOfOrderQueue
{
    private const int RecentCount = 4;
    private readonly int _maxSegments;
    private readonly CompactWriter _compact;
    private Entry[] _entries = [];
    private Entry[] _spare = [];
    private int _count;
    private int _charged;
    private readonly SeqNumber[] _recent = new SeqNumber[RecentCount];
    private int _recentCount;

    public OutOfOrderQueue(int maxSegments, ChunkPool pool)
    {
        _maxSegments = Math.Max(4, maxSegments);
        _compact = new CompactWriter(pool);
    }

    /// <summary>Number of stored pieces.</summary>
    public int Count => _count;

    /// <summary>Bytes held.</summary>
    public int Bytes { get; private set; }

    /// <summary>
    /// Memory pinned: the whole capacity of every chunk a piece is referenced in, the bytes of every copied
    /// piece, and the unused rest of the compact chunk being filled.
    /// </summary>
    public int Memory => _charged + _compact.Slack;

    /// <summary>True when nothing is held.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>The end of the highest held range (only meaningful when not empty).</summary>
    public SeqNumber HighestEnd => _entries[_count - 1].End;

    /// <summary>
    /// Stores the bytes [<paramref name="seq"/>, seq + <paramref name="length"/>) found at data offset
    /// <paramref name="offset"/> of <paramref name="packet"/>, except those already held: referenced, or
    /// copied when small or when <paramref name="copy"/> asks. Returns false when the queue is full and the
    /// segment was dropped.
    /// </summary>
    public bool Insert(SeqNumber seq, PacketBuffer packet, int offset, int length, bool copy = false)
    {
        if (length <= 0)
        {
            return true;
        }
        var end = seq + length;
        if (_count >= _maxSegments)
        {
            // Full: keep what is closer to RCV.NXT, which fills the gap sooner (Linux prunes from the top too).
            if (!seq.LessThan(_entries[_count - 1].Start))
            {
                return false;
            }
            RemoveLast();
        }
        int i = 0;
        while (i < _count && _entries[i].End.LessThanEq(seq))
        {
            i++;
        }
        var cursor = seq;
        while (cursor.LessThan(end))
        {
            if (i < _count && _entries[i].Start.LessThanEq(cursor))
            {
                cursor = SeqNumber.Max(cursor, _entries[i].End);
                i++;
                continue;
            }
            var pieceEnd = i < _count ? SeqNumber.Min(end, _entries[i].Start) : end;
            i = AddPiece(i, cursor, packet, offset + (cursor - seq), pieceEnd - cursor, copy);
            cursor = pieceEnd;
        }
        Remember(seq);
        return true;
    }

    /// <summary>
    /// Moves every held byte that is now in order (starting at or below <paramref name="rcvNxt"/>) into
    /// <paramref name="queue"/>; returns the new RCV.NXT.
    /// </summary>
    public SeqNumber Drain(SeqNumber rcvNxt, ReceiveQueue queue)
    {
        int taken = 0;
        while (taken < _count && _entries[taken].Start.LessThanEq(rcvNxt))
        {
            ref var e = ref _entries[taken];
            Bytes -= e.View.Length;
            _charged -= e.Charge;
            if (e.End.GreaterThan(rcvNxt))
            {
                int skip = rcvNxt - e.Start;
                queue.AppendView(e.View.Slice(skip, e.View.Length - skip), e.Compact);
                rcvNxt = e.End;
            }
            else
            {
                e.View.Chunk.Release();
            }
            e = default;
            taken++;
        }
        if (taken > 0)
        {
            Array.Copy(_entries, taken, _entries, 0, _count - taken);
            Array.Clear(_entries, _count - taken, taken);
            _count -= taken;
            if (_count == 0)
            {
                _compact.Reset();
            }
        }
        return rcvNxt;
    }

    /// <summary>
    /// Copies every piece that wastes more than a quarter of the chunk it pins into compact chunks (Linux's
    /// <c>tcp_collapse_ofo_queue</c>), releasing the big chunks. Returns the number of pieces copied.
    /// </summary>
    public int Collapse()
    {
        int collapsed = 0;
        int n = 0;
        for (int i = 0; i < _count; i++)
        {
            var e = _entries[i];
            _entries[i] = default;
            if (e.Compact || !ReceiveQueue.IsSparse(e.View))
            {
                PutSpare(ref n, e);
                continue;
            }
            _charged -= e.Charge;
            int copied = 0;
            while (copied < e.View.Length)
            {
                var into = _compact.Reserve(e.View.Length - copied);
                e.View.Span.Slice(copied, into.Length).CopyTo(into.Span);
                var piece = new Entry(e.Start + copied, into, Compact: true);
                _charged += piece.Charge;
                PutSpare(ref n, piece);
                copied += into.Length;
            }
            e.View.Chunk.Release();
            collapsed++;
        }
        (_entries, _spare) = (_spare, _entries);
        _count = n;
        return collapsed;
    }

    /// <summary>
    /// Drops pieces from the highest sequence number down (Linux's <c>tcp_prune_ofo_queue</c>), none starting
    /// below <paramref name="floor"/>, until at most <paramref name="memory"/> is pinned. Returns the number dropped.
    /// </summary>
    public int PruneFromTop(SeqNumber floor, int memory)
    {
        int pruned = 0;
        while (_count > 0 && Memory > memory && !_entries[_count - 1].Start.LessThan(floor))
        {
            RemoveLast();
            pruned++;
        }
        if (_count == 0)
        {
            _compact.Reset();
        }
        return pruned;
    }

    /// <summary>
    /// Fills <paramref name="blocks"/> with SACK blocks: the contiguous ranges held, the one holding the most
    /// recently received segment first, then the other recent ones, then the rest from the lowest. Returns the count.
    /// </summary>
    public int GetSackBlocks(Span<TcpSackBlock> blocks)
    {
        int n = 0;
        for (int r = 0; r < _recentCount && n < blocks.Length; r++)
        {
            if (FindRun(_recent[r], out var start, out var end) && !Contains(blocks[..n], start.Value))
            {
                blocks[n++] = new TcpSackBlock(start.Value, end.Value);
            }
        }
        int i = 0;
        while (i < _count && n < blocks.Length)
        {
            var start = _entries[i].Start;
            var end = _entries[i].End;
            i++;
            while (i < _count && _entries[i].Start == end)
            {
                end = _entries[i].End;
                i++;
            }
            if (!Contains(blocks[..n], start.Value))
            {
                blocks[n++] = new TcpSackBlock(start.Value, end.Value);
            }
        }
        return n;
    }

    /// <summary>Releases everything held.</summary>
    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            _entries[i].View.Chunk.Release();
            _entries[i] = default;
        }
        _count = 0;
        _recentCount = 0;
        Bytes = 0;
        _charged = 0;
        _compact.Reset();
    }

    private static bool Contains(ReadOnlySpan<TcpSackBlock> blocks, uint start)
    {
        foreach (var b in blocks)
        {
            if (b.Start == start)
            {
                return true;
            }
        }
        return false;
    }

    // The contiguous run of entries containing seq.
    private bool FindRun(SeqNumber seq, out SeqNumber start, out SeqNumber end)
    {
        start = end = default;
        int i = 0;
        while (i < _count)
        {
            int runFirst = i;
            var runEnd = _entries[i].End;
            i++;
            while (i < _count && _entries[i].Start == runEnd)
            {
                runEnd = _entries[i].End;
                i++;
            }
            if (seq.InRange(_entries[runFirst].Start, runEnd))
            {
                start = _entries[runFirst].Start;
                end = runEnd;
                return true;
            }
        }
        return false;
    }

    private void Remember(SeqNumber seq)
    {
        int keep = Math.Min(_recentCount, RecentCount - 1);
        for (int k = keep; k > 0; k--)
        {
            _recent[k] = _recent[k - 1];
        }
        _recent[0] = seq;
        _recentCount = keep + 1;
    }

    // Stores [start, start + length) from data offset dataOffset of the packet before index i, one entry per
    // chunk the bytes are in; returns the index after them.
    private int AddPiece(int i, SeqNumber start, PacketBuffer packet, int dataOffset, int length, bool copy)
    {
        Bytes += length;
        if (copy || length <= ReceiveQueue.CopyThreshold)
        {
            int copied = 0;
            while (copied < length)
            {
                var into = _compact.Reserve(length - copied);
                packet.CopyDataTo(dataOffset + copied, into.Span);
                InsertAt(i++, new Entry(start + copied, into, Compact: true));
                copied += into.Length;
            }
            return i;
        }
        int pos = 0;
        int end = dataOffset + length;
        foreach (var v in packet.Data)
        {
            int vStart = pos;
            int vEnd = pos + v.Length;
            pos = vEnd;
            if (vEnd <= dataOffset)
            {
                continue;
            }
            if (vStart >= end)
            {
                break;
            }
            int s = Math.Max(dataOffset, vStart);
            int e = Math.Min(end, vEnd);
            v.Chunk.AddRef();
            InsertAt(i++, new Entry(start + (s - dataOffset), v.Slice(s - vStart, e - s), Compact: false));
        }
        return i;
    }

    private void RemoveLast()
    {
        _count--;
        ref var last = ref _entries[_count];
        Bytes -= last.View.Length;
        _charged -= last.Charge;
        last.View.Chunk.Release();
        last = default;
    }

    private void PutSpare(ref int n, Entry entry)
    {
        if (n == _spare.Length)
        {
            Array.Resize(ref _spare, Math.Max(Math.Max(8, _entries.Length), _spare.Length * 2));
        }
        _spare[n++] = entry;
    }

    private void InsertAt(int index, Entry entry)
    {
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, Math.Max(8, _entries.Length * 2));
        }
        Array.Copy(_entries, index, _entries, index + 1, _count - index);
        _entries[index] = entry;
        _count++;
        _charged += entry.Charge;
    }

    /// <summary>Held bytes in one chunk; a copied (compact) piece is charged its length, a referenced one its whole chunk.</summary>
    private readonly record struct Entry(SeqNumber Start, BufferView View, bool Compact)
    {
        public SeqNumber End => Start + View.Length;

        public int Charge => Compact ? View.Length : View.Chunk.Capacity;
    }
}
