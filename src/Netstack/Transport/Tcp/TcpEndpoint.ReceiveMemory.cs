using Netstack.Buffers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// The memory received data pins (Linux's <c>sk_rmem_alloc</c> against <c>sk_rcvbuf</c>): both receive
/// queues are charged the chunks their bytes are in, not the bytes, so a peer sending one byte per 64 KiB
/// frame cannot make a connection pin 64 KiB per byte.
/// </summary>
internal sealed partial class TcpEndpoint
{
    /// <summary>
    /// The most received data may pin: twice the receive buffer (Linux doubles SO_RCVBUF for the same
    /// overhead) plus one largest chunk, so even the smallest buffer takes a full frame by reference.
    /// </summary>
    private int ReceiveMemoryLimit => (int)Math.Min(int.MaxValue, 2L * _settings.ReceiveBufferSize + ChunkPool.MaxChunkSize);

    /// <summary>Memory pinned by the in-order and out-of-order queues.</summary>
    private int ReceiveMemory => _receiveQueue.Memory + _outOfOrder.Memory;

    /// <summary>
    /// Makes room for <paramref name="length"/> bytes at data offset <paramref name="offset"/> of
    /// <paramref name="packet"/> (Linux's <c>tcp_try_rmem_schedule</c>). They are taken by reference when
    /// their chunks fit the limit; otherwise both queues are collapsed (bytes copied out of mostly empty
    /// chunks) and, if that is not enough, the bytes are copied (<paramref name="copy"/>); if even that does
    /// not fit, out-of-order pieces at or above <paramref name="floor"/> are dropped from the top. False when
    /// the segment must be dropped. Data inside the advertised window always fits once collapsed: the window
    /// never offers more than the buffer, and compact bytes are charged what they are.
    /// </summary>
    private bool TryChargeReceiveMemory(PacketBuffer packet, int offset, int length, SeqNumber floor, out bool copy)
    {
        copy = false;
        int limit = ReceiveMemoryLimit;
        int compactCharge = length + CompactWriter.ChunkSize;
        int charge = length <= ReceiveQueue.CopyThreshold ? compactCharge : ReferencedCharge(packet, offset, length);
        if (ReceiveMemory + charge <= limit)
        {
            return true;
        }
        _protocol.Stats.ReceiveCollapsed.Add(_receiveQueue.Collapse() + _outOfOrder.Collapse());
        if (ReceiveMemory + charge <= limit)
        {
            return true;
        }
        copy = true;
        if (ReceiveMemory + compactCharge <= limit)
        {
            return true;
        }
        _protocol.Stats.OutOfOrderPruned.Add(_outOfOrder.PruneFromTop(floor, limit - compactCharge - _receiveQueue.Memory));
        return ReceiveMemory + compactCharge <= limit;
    }

    /// <summary>The capacity of every chunk the bytes lie in.</summary>
    private static int ReferencedCharge(PacketBuffer packet, int offset, int length)
    {
        int charge = 0;
        int pos = 0;
        int end = offset + length;
        foreach (var v in packet.Data)
        {
            int vStart = pos;
            pos += v.Length;
            if (pos <= offset)
            {
                continue;
            }
            if (vStart >= end)
            {
                break;
            }
            charge += v.Chunk.Capacity;
        }
        return charge;
    }
}
