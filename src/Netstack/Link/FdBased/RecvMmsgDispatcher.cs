using System.Runtime.InteropServices;
using Netstack.Buffers;
using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>
/// Up to <see cref="BatchSize"/> packets per recvmmsg call, each message with its own 10-view slot. Every
/// message of a batch is handled on its own: a dropped one never discards the rest (gVisor 2020 did), an
/// empty message on a SEQPACKET socket whose peer has gone ends the reader instead of spinning.
/// </summary>
internal sealed unsafe class RecvMmsgDispatcher : IInboundDispatcher
{
    /// <summary>Messages per recvmmsg call (gVisor's MaxMsgsPerRecv).</summary>
    public const int BatchSize = 8;

    private readonly FdInfo _fd;
    private readonly InboundProcessor _processor;
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _messages;
    private readonly ReceiveSlot[] _slots = new ReceiveSlot[BatchSize];
    private bool _disposed;

    public RecvMmsgDispatcher(FdInfo fd, InboundProcessor processor, ChunkPool pool)
    {
        _fd = fd;
        _processor = processor;
        int views = ReceiveBufferLayout.Sizes.Length;
        _iov = ReceiveSlot.AllocateIoVecs(BatchSize, views);
        _messages = (MMsgHdr*)NativeMemory.AllocZeroed(BatchSize, (nuint)sizeof(MMsgHdr));
        for (int i = 0; i < BatchSize; i++)
        {
            _slots[i] = new ReceiveSlot(pool, ReceiveBufferLayout.Sizes, _iov + i * views);
        }
    }

    public DispatchStatus Dispatch(out TcpipError error)
    {
        for (int i = 0; i < BatchSize; i++)
        {
            ref var m = ref _messages[i];
            m.Header.Iov = _slots[i].IoVecs;
            m.Header.IovLength = (nuint)_slots[i].Count;
            m.Header.Flags = 0;
            m.Length = 0;
        }
        int n = SocketNative.RecvMMsg(_fd.Fd, _messages, BatchSize, SocketNative.MSG_DONTWAIT, null);
        if (n < 0)
        {
            return ReceivedMessage.Failed(Marshal.GetLastPInvokeError(), out error);
        }
        error = TcpipError.None;
        for (int i = 0; i < n; i++)
        {
            ref var m = ref _messages[i];
            bool truncated = (m.Header.Flags & SocketNative.MSG_TRUNC) != 0;
            var status = ReceivedMessage.Handle(_slots[i], (int)m.Length, truncated, _fd, _processor, out error);
            if (status == DispatchStatus.Closed)
            {
                return status;
            }
        }
        return n < BatchSize ? DispatchStatus.ProgressDrained : DispatchStatus.Progress;
    }

    public void OnSpuriousWakeup()
    {
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var slot in _slots)
        {
            slot?.Dispose();
        }
        NativeMemory.Free(_iov);
        NativeMemory.Free(_messages);
    }
}
