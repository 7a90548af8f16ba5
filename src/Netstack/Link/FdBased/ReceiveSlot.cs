using System.Runtime.InteropServices;
using Netstack.Buffers;
using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>
/// The buffers of one inbound message: a pooled chunk per view of <see cref="ReceiveBufferLayout"/> and the
/// native iovec array that points at them. A received packet takes the chunks it filled; <see cref="Refill"/>
/// rents fresh ones in their place, so no chunk is ever read into while a packet still owns it.
/// </summary>
internal sealed unsafe class ReceiveSlot : IDisposable
{
    private readonly ChunkPool _pool;
    private readonly Chunk?[] _chunks;
    private readonly int[] _layout;
    private readonly IoVec* _iov;
    private bool _disposed;

    public ReceiveSlot(ChunkPool pool, int[] layout, IoVec* iov)
    {
        _pool = pool;
        _layout = layout;
        _chunks = new Chunk?[layout.Length];
        _iov = iov;
        Refill();
    }

    /// <summary>The iovecs (one per view), valid after <see cref="Refill"/>.</summary>
    public IoVec* IoVecs => _iov;

    /// <summary>Number of iovecs.</summary>
    public int Count => _layout.Length;

    /// <summary>The first view's bytes (where every header lies).</summary>
    public ReadOnlySpan<byte> Head(int length) => new(_iov[0].Base, Math.Min(length, _layout[0]));

    /// <summary>Rents a chunk for every view a packet took.</summary>
    public void Refill()
    {
        for (int i = 0; i < _chunks.Length; i++)
        {
            if (_chunks[i] is null)
            {
                var chunk = _pool.Rent(_layout[i]);
                _chunks[i] = chunk;
                _iov[i].Base = chunk.Pointer;
                _iov[i].Length = (nuint)_layout[i];
            }
        }
    }

    /// <summary>
    /// Hands the first <paramref name="length"/> bytes to a new packet, leaving out the first
    /// <paramref name="skip"/> bytes (a virtio-net header; less than the first view). The chunks used go with it.
    /// </summary>
    public PacketBuffer TakePacket(int length, int skip)
    {
        var pkt = PacketBuffer.FromChunks(ReadOnlySpan<Chunk>.Empty, 0, _pool);
        int left = length;
        for (int i = 0; i < _chunks.Length && left > 0; i++)
        {
            int n = Math.Min(left, _layout[i]);
            int start = i == 0 ? skip : 0;
            pkt.AppendOwnedView(new BufferView(_chunks[i]!, start, n - start));
            _chunks[i] = null;
            left -= n;
        }
        return pkt;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        for (int i = 0; i < _chunks.Length; i++)
        {
            _chunks[i]?.Release();
            _chunks[i] = null;
        }
    }

    /// <summary>Native iovec storage for <paramref name="slots"/> messages of the standard layout.</summary>
    public static IoVec* AllocateIoVecs(int slots, int perSlot) =>
        (IoVec*)NativeMemory.AllocZeroed((nuint)(slots * perSlot), (nuint)sizeof(IoVec));
}
