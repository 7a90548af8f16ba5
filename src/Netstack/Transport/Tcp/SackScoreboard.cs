namespace Netstack.Transport.Tcp;

/// <summary>
/// The sender's record of what the peer has selectively acknowledged (RFC 6675 section 3): sorted,
/// merged, non-overlapping ranges above SND.UNA. It answers the questions loss recovery asks: how many
/// bytes are SACKed, where the next hole is, and below which point the holes count as lost (IsLost).
/// Bounded: past <see cref="MaxRanges"/> ranges the highest ones are forgotten, which only costs
/// retransmissions the peer did not need.
/// </summary>
internal sealed class SackScoreboard
{
    /// <summary>Most ranges kept.</summary>
    public const int MaxRanges = 1024;

    private SeqNumber[] _starts = [];
    private SeqNumber[] _ends = [];
    private int _count;

    /// <summary>Number of disjoint SACKed ranges.</summary>
    public int Count => _count;

    /// <summary>Total SACKed bytes.</summary>
    public int SackedBytes { get; private set; }

    /// <summary>True when nothing is SACKed.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>The end of the highest SACKed range (only meaningful when not empty).</summary>
    public SeqNumber HighestSacked => _ends[_count - 1];

    /// <summary>Range <paramref name="index"/>, lowest first.</summary>
    public (SeqNumber Start, SeqNumber End) this[int index] => (_starts[index], _ends[index]);

    /// <summary>Records [<paramref name="start"/>, <paramref name="end"/>) as SACKed; returns how many bytes were new.</summary>
    public int Add(SeqNumber start, SeqNumber end)
    {
        if (!start.LessThan(end))
        {
            return 0;
        }
        // First range that ends at or after start (it may merge); ranges before it stay.
        int lo = 0;
        while (lo < _count && _ends[lo].LessThan(start))
        {
            lo++;
        }
        // Ranges lo..hi-1 touch or overlap [start, end).
        int hi = lo;
        int covered = 0;
        SeqNumber mergedStart = start;
        SeqNumber mergedEnd = end;
        while (hi < _count && _starts[hi].LessThanEq(end))
        {
            var s = SeqNumber.Max(_starts[hi], start);
            var e = SeqNumber.Min(_ends[hi], end);
            if (s.LessThan(e))
            {
                covered += e - s;
            }
            mergedStart = SeqNumber.Min(mergedStart, _starts[hi]);
            mergedEnd = SeqNumber.Max(mergedEnd, _ends[hi]);
            hi++;
        }
        int added = (end - start) - covered;
        if (hi > lo)
        {
            // Replace ranges lo..hi-1 with the merged one.
            int removedBytes = 0;
            for (int i = lo; i < hi; i++)
            {
                removedBytes += _ends[i] - _starts[i];
            }
            _starts[lo] = mergedStart;
            _ends[lo] = mergedEnd;
            int shift = hi - lo - 1;
            if (shift > 0)
            {
                Array.Copy(_starts, hi, _starts, lo + 1, _count - hi);
                Array.Copy(_ends, hi, _ends, lo + 1, _count - hi);
                _count -= shift;
            }
            SackedBytes += (mergedEnd - mergedStart) - removedBytes;
        }
        else
        {
            if (_count == MaxRanges)
            {
                if (lo == _count)
                {
                    // Above everything and no room: forget it.
                    return 0;
                }
                _count--;
                SackedBytes -= _ends[_count] - _starts[_count];
            }
            if (_count == _starts.Length)
            {
                Array.Resize(ref _starts, Math.Max(8, _count * 2));
                Array.Resize(ref _ends, Math.Max(8, _count * 2));
            }
            Array.Copy(_starts, lo, _starts, lo + 1, _count - lo);
            Array.Copy(_ends, lo, _ends, lo + 1, _count - lo);
            _starts[lo] = start;
            _ends[lo] = end;
            _count++;
            SackedBytes += end - start;
        }
        return added;
    }

    /// <summary>Drops everything below <paramref name="una"/> (it is cumulatively acknowledged).</summary>
    public void RemoveBelow(SeqNumber una)
    {
        int drop = 0;
        while (drop < _count && _ends[drop].LessThanEq(una))
        {
            SackedBytes -= _ends[drop] - _starts[drop];
            drop++;
        }
        if (drop > 0)
        {
            Array.Copy(_starts, drop, _starts, 0, _count - drop);
            Array.Copy(_ends, drop, _ends, 0, _count - drop);
            _count -= drop;
        }
        if (_count > 0 && _starts[0].LessThan(una))
        {
            SackedBytes -= una - _starts[0];
            _starts[0] = una;
        }
    }

    /// <summary>Forgets every range.</summary>
    public void Clear()
    {
        _count = 0;
        SackedBytes = 0;
    }

    /// <summary>True when <paramref name="seq"/> lies in a SACKed range.</summary>
    public bool IsSacked(SeqNumber seq)
    {
        for (int i = 0; i < _count; i++)
        {
            if (seq.LessThan(_starts[i]))
            {
                return false;
            }
            if (seq.LessThan(_ends[i]))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The first un-SACKed range at or after <paramref name="from"/> and before <paramref name="limit"/>;
    /// false when everything there is SACKed.
    /// </summary>
    public bool NextHole(SeqNumber from, SeqNumber limit, out SeqNumber holeStart, out SeqNumber holeEnd)
    {
        var s = from;
        for (int i = 0; i < _count; i++)
        {
            if (_ends[i].LessThanEq(s))
            {
                continue;
            }
            if (s.LessThan(_starts[i]))
            {
                holeStart = s;
                holeEnd = SeqNumber.Min(_starts[i], limit);
                return s.LessThan(holeEnd);
            }
            s = _ends[i];
        }
        holeStart = s;
        holeEnd = limit;
        return s.LessThan(limit);
    }

    /// <summary>SACKed bytes within [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public int SackedIn(SeqNumber start, SeqNumber end)
    {
        int n = 0;
        for (int i = 0; i < _count; i++)
        {
            var s = SeqNumber.Max(_starts[i], start);
            var e = SeqNumber.Min(_ends[i], end);
            if (s.LessThan(e))
            {
                n += e - s;
            }
        }
        return n;
    }

    /// <summary>
    /// RFC 6675 IsLost as one boundary: every un-SACKed octet below the returned number has more than
    /// (DupThresh - 1) * MSS bytes, or DupThresh discontiguous ranges, SACKed above it. Returns
    /// <paramref name="una"/> when no octet qualifies.
    /// </summary>
    public SeqNumber LostBoundary(SeqNumber una, int dupThresh, int mss)
    {
        long above = 0;
        for (int i = _count - 1; i >= 0; i--)
        {
            above += _ends[i] - _starts[i];
            if (above > (long)(dupThresh - 1) * mss || _count - i >= dupThresh)
            {
                return SeqNumber.Max(una, _starts[i]);
            }
        }
        return una;
    }
}
