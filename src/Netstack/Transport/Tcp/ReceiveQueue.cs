using Netstack.Buffers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// In-order bytes received and not yet read by the application. Large payloads stay in the chunks they
/// were received into (a reference per view, no copy); small ones are copied into a compact chunk so that a
/// stream of tiny segments cannot pin a received buffer per byte. Reading copies into the caller's memory:
/// the one copy on the receive side. Not thread-safe: the connection's lock guards it.
/// </summary>
internal sealed class ReceiveQueue
{
    /// <summary>Payloads up to this size are copied rather than referenced.</summary>
    public const int CopyThreshold = 512;

    private const int CompactChunkSize = 4096;
    private readonly ChunkPool _pool;
    private BufferView[] _views = new BufferView[4];
    private int _first;
    private int _count;
    private Chunk? _compact;
    private int _compactUsed;

    public ReceiveQueue(ChunkPool pool) => _pool = pool;

    /// <summary>Bytes waiting to be read.</summary>
    public int Length { get; private set; }

    /// <summary>Appends <paramref name="length"/> data bytes of <paramref name="packet"/> from data offset <paramref name="offset"/>.</summary>
    public void Append(PacketBuffer packet, int offset, int length)
    {
        if (length <= 0)
        {
            return;
        }
        if (length <= CopyThreshold)
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
            Push(v.Slice(s - vStart, e - s));
        }
        Length += length;
    }

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes out and drops them; returns the count.</summary>
    public int Read(Span<byte> destination)
    {
        int copied = 0;
        while (copied < destination.Length && _count > 0)
        {
            ref var v = ref _views[_first];
            int n = Math.Min(v.Length, destination.Length - copied);
            v.Span[..n].CopyTo(destination[copied..]);
            copied += n;
            if (n == v.Length)
            {
                v.Chunk.Release();
                v = default;
                _first = (_first + 1) & (_views.Length - 1);
                _count--;
            }
            else
            {
                v = v.Slice(n, v.Length - n);
            }
        }
        Length -= copied;
        if (_count == 0)
        {
            ReleaseCompact();
        }
        return copied;
    }

    /// <summary>Releases every byte held.</summary>
    public void Clear()
    {
        while (_count > 0)
        {
            _views[_first].Chunk.Release();
            _views[_first] = default;
            _first = (_first + 1) & (_views.Length - 1);
            _count--;
        }
        Length = 0;
        ReleaseCompact();
    }

    private void AppendCopy(PacketBuffer packet, int offset, int length)
    {
        if (_compact is null || CompactChunkSize - _compactUsed < length)
        {
            ReleaseCompact();
            _compact = _pool.Rent(CompactChunkSize);
            _compactUsed = 0;
        }
        packet.CopyDataTo(offset, _compact.AsSpan(_compactUsed, length));
        if (_count > 0)
        {
            ref var last = ref _views[(_first + _count - 1) & (_views.Length - 1)];
            if (ReferenceEquals(last.Chunk, _compact) && last.Offset + last.Length == _compactUsed)
            {
                last = new BufferView(_compact, last.Offset, last.Length + length);
                _compactUsed += length;
                Length += length;
                return;
            }
        }
        _compact.AddRef();
        Push(new BufferView(_compact, _compactUsed, length));
        _compactUsed += length;
        Length += length;
    }

    private void ReleaseCompact()
    {
        _compact?.Release();
        _compact = null;
        _compactUsed = 0;
    }

    private void Push(BufferView view)
    {
        if (_count == _views.Length)
        {
            var bigger = new BufferView[_views.Length * 2];
            for (int i = 0; i < _count; i++)
            {
                bigger[i] = _views[(_first + i) & (_views.Length - 1)];
            }
            _views = bigger;
            _first = 0;
        }
        _views[(_first + _count) & (_views.Length - 1)] = view;
        _count++;
    }
}
