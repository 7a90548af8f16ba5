using Netstack.Buffers;
using Netstack.Headers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// Segments received above RCV.NXT, waiting for the gap below them to fill: sorted, never overlapping
/// (a new segment keeps only the bytes not already held, so duplicates and overlaps cost nothing), bounded
/// in count. Each entry holds a reference to the packet its bytes are in. It also remembers which ranges
/// arrived most recently, for the SACK blocks (RFC 2018 section 4 wants the newest first).
/// Not thread-safe: the connection's lock guards it.
/// </summary>
internal sealed class OutOfOrderQueue
{
    private const int RecentCount = 4;
    private readonly int _maxSegments;
    private Entry[] _entries = [];
    private int _count;
    private readonly SeqNumber[] _recent = new SeqNumber[RecentCount];
    private int _recentCount;

    public OutOfOrderQueue(int maxSegments) => _maxSegments = Math.Max(4, maxSegments);

    /// <summary>Number of stored pieces.</summary>
    public int Count => _count;

    /// <summary>Bytes held.</summary>
    public int Bytes { get; private set; }

    /// <summary>True when nothing is held.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>The end of the highest held range (only meaningful when not empty).</summary>
    public SeqNumber HighestEnd => _entries[_count - 1].End;

    /// <summary>
    /// Stores the bytes [<paramref name="seq"/>, seq + <paramref name="length"/>) found at data offset
    /// <paramref name="offset"/> of <paramref name="packet"/>, except those already held. Returns false when
    /// the queue is full and the segment was dropped.
    /// </summary>
    public bool Insert(SeqNumber seq, PacketBuffer packet, int offset, int length)
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
            _count--;
            Bytes -= _entries[_count].Length;
            _entries[_count].Packet.Release();
            _entries[_count] = default;
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
            int pieceLength = pieceEnd - cursor;
            packet.IncRef();
            InsertAt(i, new Entry(cursor, pieceLength, packet, offset + (cursor - seq)));
            Bytes += pieceLength;
            i++;
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
            if (e.End.GreaterThan(rcvNxt))
            {
                int skip = rcvNxt - e.Start;
                queue.Append(e.Packet, e.Offset + skip, e.Length - skip);
                rcvNxt = e.End;
            }
            Bytes -= e.Length;
            e.Packet.Release();
            e = default;
            taken++;
        }
        if (taken > 0)
        {
            Array.Copy(_entries, taken, _entries, 0, _count - taken);
            Array.Clear(_entries, _count - taken, taken);
            _count -= taken;
        }
        return rcvNxt;
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
            _entries[i].Packet.Release();
            _entries[i] = default;
        }
        _count = 0;
        _recentCount = 0;
        Bytes = 0;
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

    private void InsertAt(int index, Entry entry)
    {
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, Math.Max(8, _entries.Length * 2));
        }
        Array.Copy(_entries, index, _entries, index + 1, _count - index);
        _entries[index] = entry;
        _count++;
    }

    private record struct Entry(SeqNumber Start, int Length, PacketBuffer Packet, int Offset)
    {
        public readonly SeqNumber End => Start + Length;
    }
}
