using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>The steps every read-based dispatcher takes with one received message.</summary>
internal static unsafe class ReceivedMessage
{
    /// <summary>
    /// Handles <paramref name="length"/> bytes read into <paramref name="slot"/>: end of file, truncation,
    /// virtio-net header, classification, then delivery (the slot is refilled for the next read).
    /// </summary>
    public static DispatchStatus Handle(ReceiveSlot slot, int length, bool truncated, FdInfo fd, InboundProcessor processor, out TcpipError error)
    {
        error = TcpipError.None;
        if (length == 0 && fd.ZeroReadMayBeEof && IsPeerClosed(fd.Fd))
        {
            error = TcpipError.ClosedForReceive;
            return DispatchStatus.Closed;
        }
        if (truncated)
        {
            processor.Drop(DropReason.Truncated);
            return DispatchStatus.Progress;
        }
        int skip = processor.VirtioHeaderLength;
        if (length < skip)
        {
            processor.Drop(DropReason.ShortVirtioHeader);
            return DispatchStatus.Progress;
        }
        ushort protocol = processor.Classify(slot.Head(length)[skip..], length - skip);
        if (protocol == 0)
        {
            return DispatchStatus.Progress;
        }
        // A virtio-net header saying NEEDS_CSUM (the packet comes from a local socket with a partial
        // checksum) or DATA_VALID (the host checked it) means the transport checksum is not to be verified.
        bool checksumValid = skip > 0 && (slot.Head(length)[0] & (Headers.VirtioNetHeader.FlagNeedsChecksum | Headers.VirtioNetHeader.FlagDataValid)) != 0;
        var pkt = slot.TakePacket(length, skip);
        pkt.RxChecksumValidated = checksumValid;
        slot.Refill();
        processor.Deliver(pkt, protocol);
        return DispatchStatus.Progress;
    }

    /// <summary>Maps a failed read's errno to a status: would-block, retry, or closed with the error.</summary>
    public static DispatchStatus Failed(int errno, out TcpipError error)
    {
        error = TcpipError.None;
        if (errno == Errno.EAGAIN)
        {
            return DispatchStatus.WouldBlock;
        }
        if (errno == Errno.EINTR)
        {
            return DispatchStatus.Progress;
        }
        error = ErrnoTranslation.ToTcpipError(errno);
        return DispatchStatus.Closed;
    }

    // A 0-byte read on a SEQPACKET socket is either an empty record or the peer's close; only the
    // close leaves the socket hung up.
    private static bool IsPeerClosed(int fd)
    {
        const short pollRdHup = 0x2000;
        PollFd p = new() { Fd = fd, Events = pollRdHup };
        TimeSpec zero = default;
        int n = PollNative.PPoll(&p, 1, &zero, null);
        return n < 0 || (p.ReturnedEvents & (PollNative.POLLHUP | pollRdHup | PollNative.POLLERR | PollNative.POLLNVAL)) != 0;
    }
}
