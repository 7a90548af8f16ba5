using System.Diagnostics;

namespace Netstack.Buffers;

/// <summary>
/// One packet: a sequence of <see cref="BufferView"/>s over pooled <see cref="Chunk"/>s, with headroom in
/// front for pushing headers on the way down and header slices recorded as they are consumed on the way
/// up (gVisor's <c>stack.PacketBuffer</c>).
/// </summary>
/// <remarks>
/// <para>Layout, front to back: free headroom (not part of the packet), pushed headers (transport, network,
/// link as they are pushed), consumed headers (link, network, transport as they are parsed), data.
/// Each header is contiguous: a push always lands in one view, and a consume that would straddle two views
/// first copies the bytes into one new chunk ("pull-up").</para>
/// <para>Ownership: <see cref="Rent(int, int, ChunkPool?)"/> and the other factories return a packet with one
/// reference; <see cref="IncRef"/> adds one, <see cref="Release"/> drops one, and the last release returns
/// every chunk and the packet object to their pools. A callee that keeps a packet beyond a call takes a
/// reference. The packet object itself is not thread-safe; only its reference count is.</para>
/// </remarks>
public sealed class PacketBuffer
{
    private const int InitialViews = 8;
    private const int MaxPooledViews = 64;

    private BufferView[] _views = new BufferView[InitialViews];
    private int _viewCount;
    private int _headroom;
    private int _pushed;
    private int _consumed;
    private int _size;
    private HeaderRange _link;
    private HeaderRange _network;
    private HeaderRange _transport;
    private int _refs;
    private ChunkPool _chunks = ChunkPool.Shared;

    private PacketBuffer()
    {
    }

    /// <summary>Network protocol (EtherType) of the packet.</summary>
    public ushort NetworkProtocol { get; set; }

    /// <summary>Transport protocol number (IPv4 Protocol / IPv6 Next Header of the payload).</summary>
    public byte TransportProtocol { get; set; }

    /// <summary>Flow hash; on a multi-fd link it picks the fd (<c>Hash % fds</c>).</summary>
    public uint Hash { get; set; }

    /// <summary>Segmentation offload requested for this packet.</summary>
    public GsoOptions Gso { get; set; }

    /// <summary>How the frame was addressed at the link layer (receive side).</summary>
    public PacketType PacketType { get; set; }

    /// <summary>The NIC the packet arrived on (receive) or leaves by (send); 0 if unknown.</summary>
    public int NicId { get; set; }

    /// <summary>The link already verified the transport checksum (RX checksum offload).</summary>
    public bool RxChecksumValidated { get; set; }

    /// <summary>This host's link address: the frame's source on send, its destination on receive.</summary>
    public LinkAddress LocalLinkAddress { get; set; }

    /// <summary>The peer's link address: the frame's destination on send, its source on receive.</summary>
    public LinkAddress RemoteLinkAddress { get; set; }

    /// <summary>Network source address, set by the network layer.</summary>
    public Address SourceAddress { get; set; }

    /// <summary>Network destination address, set by the network layer.</summary>
    public Address DestinationAddress { get; set; }

    /// <summary>Total bytes: headers and data.</summary>
    public int Size => _size;

    /// <summary>Bytes of pushed and consumed headers.</summary>
    public int HeaderSize => _pushed + _consumed;

    /// <summary>Bytes after the headers.</summary>
    public int DataSize => _size - _pushed - _consumed;

    /// <summary>Free bytes in front of the packet available to <see cref="PushHeader"/> without a new chunk.</summary>
    public int AvailableHeadroom => _headroom;

    /// <summary>Current reference count.</summary>
    public int ReferenceCount => Volatile.Read(ref _refs);

    /// <summary>Every view of the packet, headers first; some may be empty.</summary>
    public ReadOnlySpan<BufferView> Views => _views.AsSpan(0, _viewCount);

    /// <summary>The link header (empty if none was pushed or consumed).</summary>
    public Span<byte> LinkHeader => HeaderSpan(_link);

    /// <summary>The network header (empty if none).</summary>
    public Span<byte> NetworkHeader => HeaderSpan(_network);

    /// <summary>The transport header (empty if none).</summary>
    public Span<byte> TransportHeader => HeaderSpan(_transport);

    /// <summary>The data region as views (no references taken).</summary>
    public DataViews Data => new(this);

    /// <summary>
    /// Rents a packet with <paramref name="headroom"/> bytes for headers and <paramref name="dataLength"/>
    /// uninitialised data bytes in one chunk when they fit (see <see cref="TryGetContiguousData"/>).
    /// </summary>
    public static PacketBuffer Rent(int headroom, int dataLength = 0, ChunkPool? pool = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        ArgumentOutOfRangeException.ThrowIfNegative(dataLength);
        var pkt = RentEmpty(pool);
        if (headroom + dataLength <= ChunkPool.MaxChunkSize)
        {
            var chunk = pkt._chunks.Rent(headroom + dataLength);
            pkt.AddOwnedView(new BufferView(chunk, headroom, dataLength));
            pkt._headroom = headroom;
            return pkt;
        }
        var head = pkt._chunks.Rent(headroom);
        pkt.AddOwnedView(new BufferView(head, headroom, 0));
        pkt._headroom = headroom;
        while (dataLength > 0)
        {
            int n = Math.Min(dataLength, ChunkPool.MaxChunkSize);
            pkt.AddOwnedView(new BufferView(pkt._chunks.Rent(n), 0, n));
            dataLength -= n;
        }
        return pkt;
    }

    /// <summary>Rents a packet with <paramref name="headroom"/> bytes for headers and a copy of <paramref name="data"/>.</summary>
    public static PacketBuffer Rent(int headroom, ReadOnlySpan<byte> data, ChunkPool? pool = null)
    {
        var pkt = Rent(headroom, data.Length, pool);
        pkt.CopyFromData(0, data);
        return pkt;
    }

    /// <summary>
    /// Wraps received bytes: <paramref name="length"/> bytes spread in order over <paramref name="chunks"/>,
    /// filling each to capacity. The packet takes over one reference of every chunk passed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The chunks cannot hold <paramref name="length"/> bytes.</exception>
    public static PacketBuffer FromChunks(ReadOnlySpan<Chunk> chunks, int length, ChunkPool? pool = null)
    {
        var pkt = RentEmpty(pool);
        int left = length;
        foreach (var chunk in chunks)
        {
            int n = Math.Min(left, chunk.Capacity);
            pkt.AddOwnedView(new BufferView(chunk, 0, n));
            left -= n;
        }
        if (left > 0 || length < 0)
        {
            pkt.Release();
            throw new ArgumentOutOfRangeException(nameof(length), length, "The chunks are too small for the length.");
        }
        return pkt;
    }

    /// <summary>Takes one more reference.</summary>
    public void IncRef()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
        {
            throw new InvalidOperationException("A packet was referenced after it was released.");
        }
    }

    /// <summary>Drops one reference; the last one returns the chunks and the packet to their pools.</summary>
    public void Release()
    {
        int refs = Interlocked.Decrement(ref _refs);
        if (refs > 0)
        {
            return;
        }
        if (refs < 0)
        {
            throw new InvalidOperationException("A packet was released more times than it was referenced.");
        }
        for (int i = 0; i < _viewCount; i++)
        {
            _views[i].Chunk.Release();
        }
        Array.Clear(_views, 0, _viewCount);
        if (_views.Length > MaxPooledViews)
        {
            _views = new BufferView[InitialViews];
        }
        PacketBufferPool.Return(this);
    }

    /// <summary>
    /// A second packet sharing these bytes (every chunk gets one more reference) and metadata. It has no
    /// headroom of its own, so a push on either never overwrites the other's bytes.
    /// </summary>
    public PacketBuffer Clone()
    {
        var copy = RentEmpty(_chunks);
        for (int i = 0; i < _viewCount; i++)
        {
            copy.AppendView(_views[i]);
        }
        copy._pushed = _pushed;
        copy._consumed = _consumed;
        copy._link = _link;
        copy._network = _network;
        copy._transport = _transport;
        copy.CopyMetadataFrom(this);
        return copy;
    }

    /// <summary>
    /// A packet with its own copy of every byte (headers and data), the same header records and metadata,
    /// and <paramref name="headroom"/> free bytes in front: writing to either never changes the other.
    /// </summary>
    public PacketBuffer DeepCopy(int headroom = 0)
    {
        var copy = Rent(headroom, _size, _chunks);
        int position = 0;
        for (int i = 0; i < _viewCount; i++)
        {
            var v = _views[i];
            copy.CopyFromData(position, v.Span);
            position += v.Length;
        }
        copy._pushed = _pushed;
        copy._consumed = _consumed;
        copy._link = _link;
        copy._network = _network;
        copy._transport = _transport;
        copy.CopyMetadataFrom(this);
        return copy;
    }

    /// <summary>Copies the per-packet metadata (protocols, hash, GSO, addresses) from <paramref name="other"/>.</summary>
    public void CopyMetadataFrom(PacketBuffer other)
    {
        NetworkProtocol = other.NetworkProtocol;
        TransportProtocol = other.TransportProtocol;
        Hash = other.Hash;
        Gso = other.Gso;
        PacketType = other.PacketType;
        NicId = other.NicId;
        RxChecksumValidated = other.RxChecksumValidated;
        LocalLinkAddress = other.LocalLinkAddress;
        RemoteLinkAddress = other.RemoteLinkAddress;
        SourceAddress = other.SourceAddress;
        DestinationAddress = other.DestinationAddress;
    }

    /// <summary>The header recorded for <paramref name="kind"/> (empty if none).</summary>
    public Span<byte> GetHeader(HeaderKind kind) => HeaderSpan(RangeOf(kind));

    /// <summary>
    /// Prepends a header of <paramref name="length"/> bytes and returns it for writing. Uses the headroom,
    /// or a new chunk in front when the headroom is too small.
    /// </summary>
    /// <exception cref="InvalidOperationException">The packet already has a header of this kind.</exception>
    public Span<byte> PushHeader(HeaderKind kind, int length)
    {
        ref var range = ref RangeOf(kind);
        if (range.Length != 0)
        {
            throw new InvalidOperationException($"The packet already has a {kind} header.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        EnsureHeadroom(length);
        ref var first = ref _views[0];
        first = new BufferView(first.Chunk, first.Offset - length, first.Length + length);
        _headroom -= length;
        _pushed += length;
        _size += length;
        range = new HeaderRange(-_pushed, length);
        return first.Chunk.AsSpan(first.Offset, length);
    }

    /// <summary>
    /// Moves the first <paramref name="length"/> data bytes into the <paramref name="kind"/> header and
    /// returns them, contiguous. False (and nothing consumed) when there are fewer data bytes.
    /// </summary>
    public bool TryConsumeHeader(HeaderKind kind, int length, out Span<byte> header)
    {
        ref var range = ref RangeOf(kind);
        if (range.Length != 0)
        {
            throw new InvalidOperationException($"The packet already has a {kind} header.");
        }
        if ((uint)length > (uint)DataSize || length == 0)
        {
            header = default;
            return false;
        }
        header = MakeContiguous(HeaderSize, length);
        range = new HeaderRange(_consumed, length);
        _consumed += length;
        return true;
    }

    /// <summary>
    /// Returns the first <paramref name="length"/> data bytes contiguous without consuming them; false when
    /// there are fewer.
    /// </summary>
    public bool TryPeekData(int length, out Span<byte> data)
    {
        if ((uint)length > (uint)DataSize)
        {
            data = default;
            return false;
        }
        data = length == 0 ? default : MakeContiguous(HeaderSize, length);
        return true;
    }

    /// <summary>Grows the last-consumed header of <paramref name="kind"/> by <paramref name="length"/> data bytes (IPv6 extension headers, options).</summary>
    public bool TryExtendHeader(HeaderKind kind, int length, out Span<byte> header)
    {
        ref var range = ref RangeOf(kind);
        if (range.Length == 0 || range.Offset + range.Length != _consumed || (uint)length > (uint)DataSize)
        {
            header = default;
            return false;
        }
        int total = range.Length + length;
        header = MakeContiguous(_pushed + range.Offset, total);
        range = new HeaderRange(range.Offset, total);
        _consumed += length;
        return true;
    }

    /// <summary>Drops the first <paramref name="length"/> data bytes (they become part of no header).</summary>
    public void SkipData(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)DataSize, nameof(length));
        _consumed += length;
    }

    /// <summary>Cuts the data to <paramref name="dataSize"/> bytes (for example, removes Ethernet padding).</summary>
    public void TrimData(int dataSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dataSize);
        int newSize = HeaderSize + dataSize;
        if (newSize >= _size)
        {
            return;
        }
        int start = 0;
        int i = 0;
        for (; i < _viewCount; i++)
        {
            ref var v = ref _views[i];
            if (start + v.Length >= newSize)
            {
                v = new BufferView(v.Chunk, v.Offset, newSize - start);
                break;
            }
            start += v.Length;
        }
        // Keep the view the cut lands in (possibly emptied); views after it go back to the pool.
        int keep = i + 1;
        for (int j = keep; j < _viewCount; j++)
        {
            _views[j].Chunk.Release();
            _views[j] = default;
        }
        _viewCount = keep;
        _size = newSize;
    }

    /// <summary>Appends a view of another chunk's bytes to the data, taking a reference to that chunk.</summary>
    public void AppendView(BufferView view)
    {
        view.Chunk.AddRef();
        AddOwnedView(view);
    }

    /// <summary>Appends a view whose chunk reference the packet now owns (no reference is added).</summary>
    public void AppendOwnedView(BufferView view) => AddOwnedView(view);

    /// <summary>Appends a copy of <paramref name="bytes"/> to the data in new chunks.</summary>
    public void AppendCopy(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int n = Math.Min(bytes.Length, ChunkPool.MaxChunkSize);
            var chunk = _chunks.Rent(n);
            bytes[..n].CopyTo(chunk.Span);
            AddOwnedView(new BufferView(chunk, 0, n));
            bytes = bytes[n..];
        }
    }

    /// <summary>The data as one span when it lies in one view (always after <see cref="Rent(int, int, ChunkPool?)"/> up to 64 KiB).</summary>
    public bool TryGetContiguousData(out Span<byte> data)
    {
        int dataStart = HeaderSize;
        int dataSize = DataSize;
        if (dataSize == 0)
        {
            data = default;
            return true;
        }
        int pos = 0;
        for (int i = 0; i < _viewCount; i++)
        {
            var v = _views[i];
            if (dataStart < pos + v.Length)
            {
                int offset = dataStart - pos;
                if (v.Length - offset >= dataSize)
                {
                    data = v.Chunk.AsSpan(v.Offset + offset, dataSize);
                    return true;
                }
                break;
            }
            pos += v.Length;
        }
        data = default;
        return false;
    }

    /// <summary>Copies data bytes starting at <paramref name="offset"/> into <paramref name="destination"/>; returns the count copied.</summary>
    public int CopyDataTo(int offset, Span<byte> destination) => CopyRange(HeaderSize + offset, destination);

    /// <summary>Copies the whole packet, headers first; returns the count copied.</summary>
    public int CopyTo(Span<byte> destination) => CopyRange(0, destination);

    /// <summary>The whole packet as a new array (for tests and diagnostics; allocates).</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[_size];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>The data as a new array (for tests and diagnostics; allocates).</summary>
    public byte[] DataToArray()
    {
        var bytes = new byte[DataSize];
        CopyDataTo(0, bytes);
        return bytes;
    }

    /// <summary>Overwrites data bytes from <paramref name="offset"/> with <paramref name="source"/>.</summary>
    public void CopyFromData(int offset, ReadOnlySpan<byte> source)
    {
        int pos = 0;
        int target = HeaderSize + offset;
        for (int i = 0; i < _viewCount && !source.IsEmpty; i++)
        {
            var v = _views[i];
            if (target < pos + v.Length)
            {
                int inView = target - pos;
                int n = Math.Min(v.Length - inView, source.Length);
                source[..n].CopyTo(v.Chunk.AsSpan(v.Offset + inView, n));
                source = source[n..];
                target += n;
            }
            pos += v.Length;
        }
        if (!source.IsEmpty)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "The data is shorter than offset + source length.");
        }
    }

    private static PacketBuffer RentEmpty(ChunkPool? pool)
    {
        var pkt = PacketBufferPool.Rent() ?? new PacketBuffer();
        pkt._refs = 1;
        pkt._viewCount = 0;
        pkt._headroom = 0;
        pkt._pushed = 0;
        pkt._consumed = 0;
        pkt._size = 0;
        pkt._link = default;
        pkt._network = default;
        pkt._transport = default;
        pkt._chunks = pool ?? ChunkPool.Shared;
        pkt.NetworkProtocol = 0;
        pkt.TransportProtocol = 0;
        pkt.Hash = 0;
        pkt.Gso = default;
        pkt.PacketType = PacketType.Host;
        pkt.NicId = 0;
        pkt.RxChecksumValidated = false;
        pkt.LocalLinkAddress = default;
        pkt.RemoteLinkAddress = default;
        pkt.SourceAddress = default;
        pkt.DestinationAddress = default;
        return pkt;
    }

    private void AddOwnedView(BufferView view)
    {
        if (_viewCount == _views.Length)
        {
            Array.Resize(ref _views, _views.Length * 2);
        }
        _views[_viewCount++] = view;
        _size += view.Length;
    }

    private void EnsureHeadroom(int length)
    {
        if (_viewCount > 0 && _headroom >= length)
        {
            return;
        }
        var chunk = _chunks.Rent(Math.Max(length, ChunkPool.MinChunkSize));
        if (_viewCount == _views.Length)
        {
            Array.Resize(ref _views, _views.Length * 2);
        }
        Array.Copy(_views, 0, _views, 1, _viewCount);
        _views[0] = new BufferView(chunk, chunk.Capacity, 0);
        _viewCount++;
        _headroom = chunk.Capacity;
    }

    private ref HeaderRange RangeOf(HeaderKind kind)
    {
        switch (kind)
        {
            case HeaderKind.Link:
                return ref _link;
            case HeaderKind.Network:
                return ref _network;
            case HeaderKind.Transport:
                return ref _transport;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Link, Network or Transport.");
        }
    }

    private Span<byte> HeaderSpan(HeaderRange range) =>
        range.Length == 0 ? default : MakeContiguous(_pushed + range.Offset, range.Length);

    private int CopyRange(int position, Span<byte> destination)
    {
        int copied = 0;
        int pos = 0;
        for (int i = 0; i < _viewCount && copied < destination.Length; i++)
        {
            var v = _views[i];
            if (position < pos + v.Length)
            {
                int inView = position - pos;
                int n = Math.Min(v.Length - inView, destination.Length - copied);
                v.Chunk.AsSpan(v.Offset + inView, n).CopyTo(destination[copied..]);
                copied += n;
                position += n;
            }
            pos += v.Length;
        }
        return copied;
    }

    // Returns packet bytes [position, position + length) as one span, copying them into a new chunk
    // first when they straddle views.
    private Span<byte> MakeContiguous(int position, int length)
    {
        Debug.Assert(length > 0 && position + length <= _size);
        int pos = 0;
        int i = 0;
        while (position >= pos + _views[i].Length)
        {
            pos += _views[i].Length;
            i++;
        }
        var first = _views[i];
        int offset = position - pos;
        if (first.Length - offset >= length)
        {
            return first.Chunk.AsSpan(first.Offset + offset, length);
        }
        return PullUp(i, offset, length);
    }

    private Span<byte> PullUp(int firstView, int offsetInFirst, int length)
    {
        if (length > ChunkPool.MaxChunkSize)
        {
            throw new InvalidOperationException($"A header of {length} bytes cannot be made contiguous.");
        }
        var chunk = _chunks.Rent(length);
        var target = chunk.Span;
        int copied = 0;
        int last = firstView;
        int usedInLast = 0;
        for (int j = firstView; copied < length; j++)
        {
            var v = _views[j];
            int start = j == firstView ? offsetInFirst : 0;
            int n = Math.Min(v.Length - start, length - copied);
            v.Chunk.AsSpan(v.Offset + start, n).CopyTo(target[copied..]);
            copied += n;
            last = j;
            usedInLast = start + n;
        }
        // Views firstView..last are replaced by [prefix of firstView] [new chunk] [rest of last].
        // They straddle, so last > firstView: the prefix keeps firstView's reference and the rest keeps last's.
        var head = _views[firstView];
        var tail = _views[last];
        int count = 0;
        var r0 = default(BufferView);
        var r1 = new BufferView(chunk, 0, length);
        var r2 = default(BufferView);
        if (offsetInFirst > 0)
        {
            r0 = new BufferView(head.Chunk, head.Offset, offsetInFirst);
            count++;
        }
        else
        {
            head.Chunk.Release();
        }
        count++;
        bool keepTail = usedInLast < tail.Length;
        if (keepTail)
        {
            r2 = new BufferView(tail.Chunk, tail.Offset + usedInLast, tail.Length - usedInLast);
            count++;
        }
        else
        {
            tail.Chunk.Release();
        }
        for (int j = firstView + 1; j < last; j++)
        {
            _views[j].Chunk.Release();
        }
        int removed = last - firstView + 1;
        int newCount = _viewCount - removed + count;
        if (newCount > _views.Length)
        {
            Array.Resize(ref _views, Math.Max(newCount, _views.Length * 2));
        }
        Array.Copy(_views, last + 1, _views, firstView + count, _viewCount - last - 1);
        for (int j = newCount; j < _viewCount; j++)
        {
            _views[j] = default;
        }
        int k = firstView;
        if (offsetInFirst > 0)
        {
            _views[k++] = r0;
        }
        _views[k++] = r1;
        if (keepTail)
        {
            _views[k] = r2;
        }
        _viewCount = newCount;
        if (firstView == 0 && offsetInFirst == 0)
        {
            _headroom = 0;
        }
        return chunk.AsSpan(0, length);
    }

    private readonly record struct HeaderRange(int Offset, int Length);

    /// <summary>The data region of a packet as views; enumerate with <c>foreach</c> (no allocation).</summary>
    public readonly ref struct DataViews
    {
        private readonly PacketBuffer _packet;

        internal DataViews(PacketBuffer packet) => _packet = packet;

        /// <summary>Returns the enumerator.</summary>
        public Enumerator GetEnumerator() => new(_packet);

        /// <summary>Enumerates the data views, skipping empty ones.</summary>
        public ref struct Enumerator
        {
            private readonly PacketBuffer _packet;
            private int _index;
            private int _position;
            private BufferView _current;

            internal Enumerator(PacketBuffer packet)
            {
                _packet = packet;
                _index = -1;
                _position = 0;
                _current = default;
            }

            /// <summary>The current view.</summary>
            public readonly BufferView Current => _current;

            /// <summary>Advances to the next non-empty data view.</summary>
            public bool MoveNext()
            {
                int dataStart = _packet.HeaderSize;
                while (++_index < _packet._viewCount)
                {
                    var v = _packet._views[_index];
                    int viewStart = _position;
                    _position += v.Length;
                    if (_position <= dataStart)
                    {
                        continue;
                    }
                    int skip = Math.Max(0, dataStart - viewStart);
                    _current = v.Slice(skip, v.Length - skip);
                    return true;
                }
                return false;
            }
        }
    }
}
