using System.Runtime.InteropServices;
using Netstack.Buffers;
using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>
/// One packet per call into the 10-view layout. On sockets the read is a recvmsg with the same iovecs, so
/// MSG_TRUNC tells a truncated datagram apart (readv cannot); other fds (TUN/TAP, pipes) use readv, and a
/// read that fills the whole layout counts as truncated.
/// </summary>
internal sealed unsafe class ReadvDispatcher : IInboundDispatcher
{
    private readonly FdInfo _fd;
    private readonly InboundProcessor _processor;
    private readonly IoVec* _iov;
    private readonly MsgHdr* _msg;
    private readonly ReceiveSlot _slot;
    private bool _disposed;

    public ReadvDispatcher(FdInfo fd, InboundProcessor processor, ChunkPool pool)
    {
        _fd = fd;
        _processor = processor;
        int views = ReceiveBufferLayout.Sizes.Length;
        _iov = ReceiveSlot.AllocateIoVecs(1, views);
        _msg = (MsgHdr*)NativeMemory.AllocZeroed((nuint)sizeof(MsgHdr));
        _slot = new ReceiveSlot(pool, ReceiveBufferLayout.Sizes, _iov);
    }

    public DispatchStatus Dispatch(out TcpipError error)
    {
        nint n;
        bool truncated;
        if (_fd.IsSocket)
        {
            _msg->Iov = _iov;
            _msg->IovLength = (nuint)_slot.Count;
            _msg->Flags = 0;
            n = SocketNative.RecvMsg(_fd.Fd, _msg, SocketNative.MSG_DONTWAIT);
            truncated = (_msg->Flags & SocketNative.MSG_TRUNC) != 0;
        }
        else
        {
            n = FileNative.Readv(_fd.Fd, _iov, _slot.Count);
            truncated = n >= ReceiveBufferLayout.TotalSize;
        }
        if (n < 0)
        {
            return ReceivedMessage.Failed(Marshal.GetLastPInvokeError(), out error);
        }
        return ReceivedMessage.Handle(_slot, (int)n, truncated, _fd, _processor, out error);
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
        _slot.Dispose();
        NativeMemory.Free(_iov);
        NativeMemory.Free(_msg);
    }
}
