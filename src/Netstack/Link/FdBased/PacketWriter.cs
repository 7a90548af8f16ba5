using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Interop;
using Netstack.Stack;

namespace Netstack.Link.FdBased;

/// <summary>
/// The send path shared by <see cref="FdBasedEndpoint"/> and <see cref="InjectableEndpoint"/>: picks the fd by
/// <c>Hash % fds</c>, adds the Ethernet and virtio-net headers, and writes runs of packets for one fd with one
/// sendmmsg (sockets) or one writev each (other fds). iovecs point at the packets' own views: nothing is copied,
/// except a packet with more than IOV_MAX views, which is flattened into pooled chunks.
/// </summary>
internal sealed unsafe class PacketWriter : IDisposable
{
    private readonly FdInfo[] _fds;
    private readonly bool _ethernet;
    private readonly bool _hostGso;
    private readonly LinkAddress _address;
    private readonly LinkStatistics _stats;
    private readonly ChunkPool _pool;
    private WriteScratch? _cached;

    public PacketWriter(FdInfo[] fds, bool ethernet, bool hostGso, LinkAddress address, LinkStatistics stats, ChunkPool pool)
    {
        _fds = fds;
        _ethernet = ethernet;
        _hostGso = hostGso;
        _address = address;
        _stats = stats;
        _pool = pool;
        _cached = new WriteScratch();
    }

    /// <summary>Bytes of link header this writer adds.</summary>
    public int LinkHeaderLength => _ethernet ? EthernetHeader.Size : 0;

    /// <summary>Pushes the Ethernet header unless the packet already has a link header.</summary>
    public void AddHeader(PacketBuffer pkt)
    {
        if (!_ethernet || !pkt.LinkHeader.IsEmpty)
        {
            return;
        }
        var source = pkt.LocalLinkAddress.IsEmpty ? _address : pkt.LocalLinkAddress;
        EthernetHeader.Encode(pkt.PushHeader(HeaderKind.Link, EthernetHeader.Size), pkt.RemoteLinkAddress, source, pkt.NetworkProtocol);
    }

    public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets)
    {
        // One scratch per concurrent caller: take the cached one, or make one if another thread has it.
        var scratch = Interlocked.Exchange(ref _cached, null) ?? new WriteScratch();
        try
        {
            int written = 0;
            int i = 0;
            while (i < packets.Length)
            {
                var fd = _fds[packets[i].Hash % (uint)_fds.Length];
                int end = i + 1;
                while (end < packets.Length && end - i < WriteScratch.MaxBatch && _fds[packets[end].Hash % (uint)_fds.Length] == fd)
                {
                    end++;
                }
                var batch = packets[i..end];
                var error = fd.IsSocket ? SendBatch(fd, batch, scratch, out int sent) : WriteEach(fd, batch, scratch, out sent);
                written += sent;
                if (error != TcpipError.None)
                {
                    _stats.AddWriteError();
                    return new WriteResult(written, error);
                }
                i = end;
            }
            return new WriteResult(written, TcpipError.None);
        }
        finally
        {
            scratch.ReleaseFlattened();
            if (Interlocked.CompareExchange(ref _cached, scratch, null) != null)
            {
                scratch.Dispose();
            }
        }
    }

    /// <summary>Writes one already-framed packet with write(2) (InjectOutbound).</summary>
    public TcpipError WriteRaw(ReadOnlySpan<byte> packet)
    {
        var fd = _fds[0].Fd;
        fixed (byte* p = packet)
        {
            while (true)
            {
                nint n = FileNative.Write(fd, p, (nuint)packet.Length);
                if (n >= 0)
                {
                    if (n < packet.Length)
                    {
                        _stats.AddShortWrite();
                    }
                    _stats.AddSent(1, n);
                    return TcpipError.None;
                }
                int errno = FileNative.LastErrno;
                if (errno != Errno.EINTR)
                {
                    _stats.AddWriteError();
                    return ErrnoTranslation.ToTcpipError(errno);
                }
            }
        }
    }

    private TcpipError SendBatch(FdInfo fd, ReadOnlySpan<PacketBuffer> batch, WriteScratch scratch, out int handled)
    {
        handled = 0;
        int count = 0;
        int iovUsed = 0;
        TcpipError error;
        int done;
        for (int k = 0; k < batch.Length; k++)
        {
            var pkt = batch[k];
            AddHeader(pkt);
            if (pkt.Size == 0)
            {
                // Nothing to put on the wire (and an empty SEQPACKET record would read as end of file).
                _stats.AddDrop(DropReason.EmptyOutbound);
                if (count == 0)
                {
                    handled = k + 1;
                }
                continue;
            }
            int needed = IoVecsNeeded(pkt);
            if (iovUsed + needed > WriteScratch.IoVecCapacity)
            {
                error = Flush(fd, scratch, count, out done);
                if (done < count)
                {
                    handled = scratch.PacketIndex[done];
                    return error;
                }
                handled = k;
                count = 0;
                iovUsed = 0;
            }
            var iov = scratch.IoVecs + iovUsed;
            int n = BuildIoVecs(pkt, fd.VirtioHeader, iov, scratch.VirtioHeaders + count * 16, scratch, out int total);
            ref var m = ref scratch.Messages[count];
            m = default;
            m.Header.Iov = iov;
            m.Header.IovLength = (nuint)n;
            scratch.Expected[count] = total;
            scratch.PacketIndex[count] = k;
            iovUsed += n;
            count++;
        }
        error = Flush(fd, scratch, count, out done);
        handled = done == count ? batch.Length : scratch.PacketIndex[done];
        return error;
    }

    // sendmmsg until every message is out or an error stops it; a partial count is resumed.
    private TcpipError Flush(FdInfo fd, WriteScratch scratch, int count, out int done)
    {
        done = 0;
        int vnet = fd.VirtioHeader ? VirtioNetHeader.Size : 0;
        long bytes = 0;
        TcpipError error = TcpipError.None;
        while (done < count)
        {
            int n = SocketNative.SendMMsg(fd.Fd, scratch.Messages + done, (uint)(count - done), SocketNative.MSG_DONTWAIT | SocketNative.MSG_NOSIGNAL);
            if (n < 0)
            {
                int errno = FileNative.LastErrno;
                if (errno == Errno.EINTR)
                {
                    continue;
                }
                error = ErrnoTranslation.ToTcpipError(errno);
                break;
            }
            for (int k = done; k < done + n; k++)
            {
                uint length = scratch.Messages[k].Length;
                if (length < (uint)scratch.Expected[k])
                {
                    _stats.AddShortWrite();
                }
                bytes += Math.Max(0, (int)length - vnet);
            }
            done += n;
        }
        _stats.AddSent(done, bytes);
        scratch.ReleaseFlattened();
        return error;
    }

    private TcpipError WriteEach(FdInfo fd, ReadOnlySpan<PacketBuffer> batch, WriteScratch scratch, out int sent)
    {
        sent = 0;
        int vnet = fd.VirtioHeader ? VirtioNetHeader.Size : 0;
        for (int k = 0; k < batch.Length; k++)
        {
            var pkt = batch[k];
            AddHeader(pkt);
            if (pkt.Size == 0)
            {
                _stats.AddDrop(DropReason.EmptyOutbound);
                sent++;
                continue;
            }
            int n = BuildIoVecs(pkt, fd.VirtioHeader, scratch.IoVecs, scratch.VirtioHeaders, scratch, out int total);
            nint written;
            do
            {
                written = FileNative.Writev(fd.Fd, scratch.IoVecs, n);
            }
            while (written < 0 && FileNative.LastErrno == Errno.EINTR);
            scratch.ReleaseFlattened();
            if (written < 0)
            {
                return ErrnoTranslation.ToTcpipError(FileNative.LastErrno);
            }
            if (written < total)
            {
                _stats.AddShortWrite();
                _stats.AddSent(1, Math.Max(0, written - vnet));
                sent++;
                return TcpipError.MessageTooLong;
            }
            _stats.AddSent(1, written - vnet);
            sent++;
        }
        return TcpipError.None;
    }

    private static int IoVecsNeeded(PacketBuffer pkt)
    {
        int views = pkt.Views.Length + 1;
        return views > FileNative.IOV_MAX ? 1 + (pkt.Size + ChunkPool.MaxChunkSize - 1) / ChunkPool.MaxChunkSize : views;
    }

    // Fills iovecs for one packet: [virtio-net header] then every non-empty view. Returns the count.
    private int BuildIoVecs(PacketBuffer pkt, bool virtioHeader, IoVec* iov, byte* virtioSlot, WriteScratch scratch, out int total)
    {
        int n = 0;
        total = 0;
        if (virtioHeader)
        {
            VirtioHeaderFor(pkt).WriteTo(new Span<byte>(virtioSlot, VirtioNetHeader.Size));
            iov[n++] = new IoVec { Base = virtioSlot, Length = VirtioNetHeader.Size };
            total += VirtioNetHeader.Size;
        }
        var views = pkt.Views;
        if (views.Length + n > FileNative.IOV_MAX)
        {
            // Too many pieces for one call: copy this packet into as few chunks as it takes.
            int size = pkt.Size;
            for (int offset = 0; offset < size; offset += ChunkPool.MaxChunkSize)
            {
                int len = Math.Min(ChunkPool.MaxChunkSize, size - offset);
                var chunk = _pool.Rent(len);
                scratch.Flattened.Add(chunk);
                CopyPacketRange(pkt, offset, chunk.Span[..len]);
                iov[n++] = new IoVec { Base = chunk.Pointer, Length = (nuint)len };
            }
            total += size;
            return n;
        }
        foreach (var view in views)
        {
            if (view.Length == 0)
            {
                continue;
            }
            iov[n++] = new IoVec { Base = view.Chunk.Pointer + view.Offset, Length = (nuint)view.Length };
            total += view.Length;
        }
        return n;
    }

    private static void CopyPacketRange(PacketBuffer pkt, int offset, Span<byte> destination)
    {
        int pos = 0;
        int copied = 0;
        foreach (var view in pkt.Views)
        {
            int end = pos + view.Length;
            if (end > offset && copied < destination.Length)
            {
                int start = Math.Max(0, offset + copied - pos);
                int n = Math.Min(view.Length - start, destination.Length - copied);
                view.Span.Slice(start, n).CopyTo(destination[copied..]);
                copied += n;
            }
            pos = end;
        }
    }

    // The virtio-net header for host GSO, as gVisor builds it, except that csum_start counts the real
    // link header (gVisor always adds 14, wrong on a link without Ethernet). A partial checksum (TX checksum
    // offload) is flagged whenever the fd carries the header, with or without host GSO: otherwise the kernel
    // receives the pseudo-header sum as if it were the checksum.
    private VirtioNetHeader VirtioHeaderFor(PacketBuffer pkt)
    {
        var gso = pkt.Gso;
        if (gso == default)
        {
            return default;
        }
        byte flags = 0;
        ushort checksumStart = 0;
        ushort checksumOffset = 0;
        if (gso.NeedsChecksum)
        {
            flags = VirtioNetHeader.FlagNeedsChecksum;
            checksumStart = (ushort)(LinkHeaderLength + gso.L3HeaderLength);
            checksumOffset = gso.ChecksumOffset;
        }
        byte gsoType = VirtioNetHeader.GsoNone;
        ushort gsoSize = 0;
        if (_hostGso && pkt.DataSize > gso.Mss && gso.Type is GsoType.TcpV4 or GsoType.TcpV6)
        {
            gsoType = gso.Type == GsoType.TcpV4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6;
            gsoSize = gso.Mss;
        }
        return new VirtioNetHeader(flags, gsoType, (ushort)pkt.HeaderSize, gsoSize, checksumStart, checksumOffset);
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _cached, null)?.Dispose();
    }
}
