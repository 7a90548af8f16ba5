using Netstack.Buffers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// In-order bytes received and not yet read by the application. Large payloads stay in the chunks they
/// were received into (a reference per view, no copy); small ones are copied into compact chunks so that a
/// stream of tiny segments cannot pin a received buffer per byte. Reading copies into the caller's memory:
/// the one copy on the receive side. <see cref="Memory"/> is what the queue pins (Linux's truesize), and
/// <see cref="Collapse"/> copies bytes out of mostly empty chunks when that is too much.
/// Not thread-safe: the connection's lock guards it.
/// </summary>
internal sealed class ReceiveQueue
{
    /// <summary>Payloads up to this size are copied rather than referenced.</summary>
    public const int CopyThreshold = 512;

    private readonly CompactWriter _compact;
    private Piece[] _pieces = new Piece[4];
    private int _first;
    private int _count;
    private int _charged;

    public ReceiveQueue(ChunkPool pool) => _compact = new CompactWriter(pool);

    /// <summary>Bytes waiting to be read.</summary>
    public int Length { get; private set; }

    /// <summary>
    /// Memory pinned: the whole capacity of every chunk a received payload is referenced in, the bytes held in
    /// compact chunks, and the unused rest of the compact chunk being filled.
    /// </summary>
    public int Memory => _charged + _compact.Slack;

    /// <summary>
    /// Appends <paramref name="length"/> data bytes of <paramref name="packet"/> from data offset
    /// <paramref name="offset"/>: referenced, or copied when small or when <paramref name="copy"/> asks.
    /// </summary>
    public void Append(PacketBuffer packet, int offset, int length, bool copy = false)
    {
        if (length <= 0)
        {
            return;
        }
        if (copy || length <= CopyThreshold)
        {
            AppendCopy(packet, offset, length);
            return;
        }
        int pos = 0;
        int end = offset + length;
        foreach (var v in packet.Data)
        {
            int vStart = pos;
            int vEnd = pos + v.Length;
            pos = vEnd;
            if (vEnd <= offset)
            {
                continue;
            }
            if (vStart >= end)
            {
                break;
            }
            int s = Math.Max(offset, vStart);
            int e = Math.Min(end, vEnd);
            v.Chunk.AddRef();
            Push(new Piece(v.Slice(s - vStart, e - s), Compact: false));
        }
        Length += length;
    }

    /// <summary>Appends a view whose chunk reference the queue takes over (<paramref name="compact"/>: it is in a compact chunk).</summary>
    public void AppendView(BufferView view, bool compact)
    {
        Length += view.Length;
        Push(new Piece(view, compact));
    }

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes out and drops them; returns the count.</summary>
    public int Read(Span<byte> destination)
    {
        int copied = 0;
        while (copied < destination.Length && _count > 0)
        {
            ref var p = ref _pieces[_first];
            int n = Math.Min(p.View.Length, destination.Length - copied);
            p.View.Span[..n].CopyTo(destination[copied..]);
            copied += n;
            if (n == p.View.Length)
            {
                Pop().View.Chunk.Release();
            }
            else
            {
                // A partly read piece keeps its chunk; only a compact one is charged less.
                if (p.Compact)
                {
                    _charged -= n;
                }
                p = p with { View = p.View.Slice(n, p.View.Length - n) };
            }
        }
        Length -= copied;
        if (_count == 0)
        {
            _compact.Reset();
        }
        return copied;
    }

    /// <summary>
    /// Copies every piece that wastes more than a quarter of the chunk it pins into compact chunks (Linux's
    /// <c>tcp_collapse</c>), releasing the big chunks. Returns the number of pieces copied.
    /// </summary>
    public int Collapse()
    {
        int n = _count;
        int collapsed = 0;
        bool merge = false;
        for (int i = 0; i < n; i++)
        {
            var p = Pop();
            if (p.Compact || !IsSparse(p.View))
            {
                Push(p);
                merge = true;
                continue;
            }
            int copied = 0;
            while (copied < p.View.Length)
            {
                var into = _compact.Reserve(p.View.Length - copied);
                p.View.Span.Slice(copied, into.Length).CopyTo(into.Span);
                copied += into.Length;
                PushCompact(into, merge);
                merge = true;
            }
            p.View.Chunk.Release();
            collapsed++;
        }
        return collapsed;
    }

    /// <summary>Releases every byte held.</summary>
    public void Clear()
    {
        while (_count > 0)
        {
            Pop().View.Chunk.Release();
        }
        Length = 0;
        _compact.Reset();
    }

    /// <summary>A view wasting more than a quarter of the chunk it pins.</summary>
    public static bool IsSparse(BufferView view) => view.Chunk.Capacity > view.Length + view.Length / 4;

    private void AppendCopy(PacketBuffer packet, int offset, int length)
    {
        int copied = 0;
        while (copied < length)
        {
            var into = _compact.Reserve(length - copied);
            packet.CopyDataTo(offset + copied, into.Span);
            copied += into.Length;
            PushCompact(into, merge: true);
        }
        Length += length;
    }

    // A compact view, merged into the last piece when it continues it in the same chunk (not at the start of a
    // collapse pass, whose last piece is still to be visited and so comes after this one).
    private void PushCompact(BufferView view, bool merge)
    {
        if (merge && _count > 0)
        {
            ref var last = ref _pieces[(_first + _count - 1) & (_pieces.Length - 1)];
            if (last.Compact && ReferenceEquals(last.View.Chunk, view.Chunk) && last.View.Offset + last.View.Length == view.Offset)
            {
                last = last with { View = new BufferView(view.Chunk, last.View.Offset, last.View.Length + view.Length) };
                _charged += view.Length;
                view.Chunk.Release();
                return;
            }
        }
        Push(new Piece(view, Compact: true));
    }

    private void Push(Piece piece)
    {
        if (_count == _pieces.Length)
        {
            var bigger = new Piece[_pieces.Length * 2];
            for (int i = 0; i < _count; i++)
            {
                bigger[i] = _pieces[(_first + i) & (_pieces.Length - 1)];
            }
            _pieces = bigger;
            _first = 0;
        }
        _pieces[(_first + _count) & (_pieces.Length - 1)] = piece;
        _count++;
        _charged += piece.Charge;
    }

    private Piece Pop()
    {
        var p = _pieces[_first];
        _pieces[_first] = default;
        _first = (_first + 1) & (_pieces.Length - 1);
        _count--;
        _charged -= p.Charge;
        return p;
    }

    /// <summary>A run of queued bytes; one compact (copied) is charged its length, one referenced its whole chunk.</summary>
    private readonly record struct Piece(BufferView View, bool Compact)
    {
        public int Charge => Compact ? View.Length : View.Chunk.Capacity;
    }
}
