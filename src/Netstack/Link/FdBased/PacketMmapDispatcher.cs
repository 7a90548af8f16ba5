using Netstack.Buffers;
using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>
/// Reads from a PACKET_RX_RING: takes frames whose status word says TP_STATUS_USER, in ring order, copies each
/// packet into pooled chunks and gives the frame back. A frame with <c>tp_snaplen &lt; tp_len</c> was truncated
/// and is dropped. When poll says readable but the next frame is not ours, the ring is out of step with the
/// kernel (gVisor issue 210): <see cref="OnSpuriousWakeup"/> finds the oldest user frame instead of spinning.
/// </summary>
internal sealed unsafe class PacketMmapDispatcher : IInboundDispatcher
{
    private readonly PacketRing _ring;
    private readonly InboundProcessor _processor;
    private readonly LinkStatistics _stats;
    private readonly ChunkPool _pool;
    private readonly Chunk[] _chunks = new Chunk[2];
    private readonly bool _virtioHeader;
    private bool _owner;
    private bool _disposed;

    public PacketMmapDispatcher(PacketRing ring, InboundProcessor processor, LinkStatistics stats, ChunkPool pool, bool virtioHeader = false)
    {
        _ring = ring;
        _virtioHeader = virtioHeader;
        _processor = processor;
        _stats = stats;
        _pool = pool;
        ring.AddRef();
    }

    public DispatchStatus Dispatch(out TcpipError error)
    {
        error = TcpipError.None;
        if (!_owner && !(_owner = _ring.TryAcquire()))
        {
            // A reader from before a detach still holds the ring; wait in poll rather than race it.
            return DispatchStatus.WouldBlock;
        }
        int handled = 0;
        for (; handled < _ring.FrameCount; handled++)
        {
            int index = _ring.Next;
            ulong status = _ring.Status(index);
            if ((status & SocketNative.TP_STATUS_USER) == 0)
            {
                break;
            }
            HandleFrame(_ring.Frame(index), status);
            _ring.ReturnToKernel(index);
            _ring.Next = (index + 1) % _ring.FrameCount;
        }
        return handled > 0 ? DispatchStatus.Progress : DispatchStatus.WouldBlock;
    }

    public void OnSpuriousWakeup()
    {
        if (_owner && _ring.Resynchronise())
        {
            _stats.AddRingResync();
        }
    }

    private void HandleFrame(TpacketHdr* header, ulong status)
    {
        int length = (int)header->SnapLength;
        if (header->SnapLength < header->Length || (status & SocketNative.TP_STATUS_COPY) != 0)
        {
            _processor.Drop(DropReason.Truncated);
            return;
        }
        // With PACKET_VNET_HDR the kernel puts the virtio-net header just before tp_mac: the frame at tp_mac
        // is already the link frame.
        var frame = new ReadOnlySpan<byte>((byte*)header + header->MacOffset, length);
        ushort protocol = _processor.Classify(frame, length);
        if (protocol == 0)
        {
            return;
        }
        int count = 0;
        for (int offset = 0; offset < length; offset += ChunkPool.MaxChunkSize)
        {
            int n = Math.Min(ChunkPool.MaxChunkSize, length - offset);
            var chunk = _pool.Rent(n);
            frame.Slice(offset, n).CopyTo(chunk.Span);
            _chunks[count++] = chunk;
        }
        var pkt = PacketBuffer.FromChunks(_chunks.AsSpan(0, count), length, _pool);
        _chunks.AsSpan().Clear();
        // As on the other dispatchers: NEEDS_CSUM (a local sender's partial checksum) or DATA_VALID (the host
        // checked it) in the virtio-net header before tp_mac means the transport checksum is not to be verified.
        if (_virtioHeader && header->MacOffset >= Headers.VirtioNetHeader.Size)
        {
            byte flags = *((byte*)header + header->MacOffset - Headers.VirtioNetHeader.Size);
            pkt.RxChecksumValidated = (flags & (Headers.VirtioNetHeader.FlagNeedsChecksum | Headers.VirtioNetHeader.FlagDataValid)) != 0;
        }
        _processor.Deliver(pkt, protocol);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_owner)
        {
            _ring.ReleaseUse();
        }
        _ring.Release();
    }
}
