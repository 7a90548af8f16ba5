using Netstack.Buffers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// The bytes a connection has taken from its application and not yet had acknowledged, in pooled chunks.
/// The application's bytes are copied in once (<see cref="Append"/>); segments then reference the chunks
/// (<see cref="AppendTo"/> adds views to a packet, taking chunk references), so neither a first
/// transmission nor a retransmission copies data. Offsets are positions in the byte stream (the first
/// data byte is 0). Not thread-safe: the connection's lock guards it.
/// </summary>
internal sealed class SendBuffer
{
    private const int MinChunk = 2048;
    private readonly ChunkPool _pool;
    private BufferView[] _views = new BufferView[8];
    private int _first;
    private int _count;
    private long _head;
    private long _tail;
    private Chunk? _writeChunk;
    private int _writeOffset;
    private int _cursor;      // logical index of a view whose start offset is _cursorStart
    private long _cursorStart;

    public SendBuffer(ChunkPool pool) => _pool = pool;

    /// <summary>Stream offset of the first byte held (the oldest unacknowledged byte).</summary>
    public long Head => _head;

    /// <summary>Stream offset just after the last byte held.</summary>
    public long Tail => _tail;

    /// <summary>Bytes held.</summary>
    public int Length => (int)(_tail - _head);

    /// <summary>Copies up to <paramref name="maxBytes"/> of <paramref name="data"/> in; returns the count copied.</summary>
    public int Append(ReadOnlySpan<byte> data, int maxBytes)
    {
        int total = Math.Min(data.Length, maxBytes);
        int copied = 0;
        while (copied < total)
        {
            if (_writeChunk is null || _writeOffset == _writeChunk.Capacity)
            {
                _writeChunk?.Release();
                _writeChunk = _pool.Rent(Math.Clamp(total - copied, MinChunk, ChunkPool.MaxChunkSize));
                _writeOffset = 0;
            }
            int n = Math.Min(total - copied, _writeChunk.Capacity - _writeOffset);
            data.Slice(copied, n).CopyTo(_writeChunk.AsSpan(_writeOffset, n));
            AddBytes(_writeChunk, _writeOffset, n);
            _writeOffset += n;
            copied += n;
        }
        return copied;
    }

    /// <summary>
    /// Appends views of the bytes [<paramref name="offset"/>, offset + <paramref name="length"/>) to
    /// <paramref name="packet"/>'s data, each taking a chunk reference.
    /// </summary>
    public void AppendTo(PacketBuffer packet, long offset, int length)
    {
        if (offset < _head || offset + length > _tail)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"The send buffer holds [{_head}, {_tail}).");
        }
        if (length == 0)
        {
            return;
        }
        if (offset < _cursorStart || _cursor >= _count)
        {
            _cursor = 0;
            _cursorStart = _head;
        }
        int index = _cursor;
        long start = _cursorStart;
        while (true)
        {
            var v = _views[(_first + index) & (_views.Length - 1)];
            if (offset < start + v.Length)
            {
                break;
            }
            start += v.Length;
            index++;
        }
        _cursor = index;
        _cursorStart = start;
        int left = length;
        while (left > 0)
        {
            var v = _views[(_first + index) & (_views.Length - 1)];
            int inView = (int)(offset - start);
            int n = Math.Min(v.Length - inView, left);
            packet.AppendView(v.Slice(inView, n));
            offset += n;
            left -= n;
            start += v.Length;
            index++;
        }
    }

    /// <summary>Releases every byte below stream offset <paramref name="newHead"/> (they were acknowledged).</summary>
    public void Consume(long newHead)
    {
        if (newHead > _tail)
        {
            newHead = _tail;
        }
        while (_head < newHead && _count > 0)
        {
            ref var v = ref _views[_first];
            long drop = newHead - _head;
            if (drop >= v.Length)
            {
                _head += v.Length;
                v.Chunk.Release();
                v = default;
                _first = (_first + 1) & (_views.Length - 1);
                _count--;
                if (_cursor > 0)
                {
                    _cursor--;
                }
                else
                {
                    _cursorStart = _head;
                }
            }
            else
            {
                v = v.Slice((int)drop, v.Length - (int)drop);
                _head = newHead;
                if (_cursor == 0)
                {
                    _cursorStart = _head;
                }
            }
        }
        if (_count == 0)
        {
            // Empty: give the partly written chunk back too, so an idle connection holds no memory.
            _writeChunk?.Release();
            _writeChunk = null;
            _cursor = 0;
            _cursorStart = _head;
        }
    }

    /// <summary>Releases everything.</summary>
    public void Clear()
    {
        Consume(_tail);
        _writeChunk?.Release();
        _writeChunk = null;
    }

    private void AddBytes(Chunk chunk, int offset, int length)
    {
        _tail += length;
        if (_count > 0)
        {
            int lastIndex = (_first + _count - 1) & (_views.Length - 1);
            ref var last = ref _views[lastIndex];
            if (ReferenceEquals(last.Chunk, chunk) && last.Offset + last.Length == offset)
            {
                last = new BufferView(chunk, last.Offset, last.Length + length);
                return;
            }
        }
        if (_count == _views.Length)
        {
            Grow();
        }
        chunk.AddRef();
        _views[(_first + _count) & (_views.Length - 1)] = new BufferView(chunk, offset, length);
        _count++;
    }

    private void Grow()
    {
        var bigger = new BufferView[_views.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            bigger[i] = _views[(_first + i) & (_views.Length - 1)];
        }
        _views = bigger;
        _first = 0;
    }
}
