using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>
/// A PACKET_RX_RING (TPACKET_V1) mapped into this process: <see cref="FrameCount"/> frames in blocks of up to
/// 1 MiB, each frame starting with a <see cref="TpacketHdr"/> whose status word says who owns it. The ring is
/// about <see cref="RingBytes"/> big whatever the frame size (gVisor: 32 frames of 64 KiB, which a burst of
/// small packets overflows while the reader is descheduled). Reference-counted (the
/// endpoint and the reader using it), so the mapping is removed only when nobody can touch it; then the ring
/// is torn down so the socket returns to plain reads.
/// </summary>
internal sealed unsafe class PacketRing
{
    /// <summary>gVisor's frame size, the largest: a 64 KiB packet plus the frame header.</summary>
    public const int MaxFrameSize = 65536 + 128;

    /// <summary>Room in a frame before the link header: tpacket_hdr, sockaddr_ll, alignment, a virtio-net header.</summary>
    public const int FrameOverhead = 128;

    /// <summary>Total bytes of ring aimed at.</summary>
    public const int RingBytes = 4 << 20;

    /// <summary>Smallest frame accepted (TPACKET_HDRLEN plus room for a small frame).</summary>
    public const int MinFrameSize = 256;

    /// <summary>TPACKET_ALIGNMENT.</summary>
    public const int FrameAlignment = 16;

    private const int MinFrames = 32;
    private const int MaxBlockSize = 1 << 20;
    private const int PageSize = 4096;

    private readonly int _fd;
    private readonly byte* _base;
    private readonly nuint _length;
    private int _refs = 1;
    private int _inUse;

    private readonly int _blockSize;
    private readonly int _framesPerBlock;

    private PacketRing(int fd, byte* mapping, nuint length, int frameSize, int frameCount, int blockSize)
    {
        _fd = fd;
        _base = mapping;
        _length = length;
        FrameSize = frameSize;
        FrameCount = frameCount;
        _blockSize = blockSize;
        _framesPerBlock = blockSize / frameSize;
    }

    /// <summary>The frame size that holds a link frame of <paramref name="mtu"/> plus Ethernet header.</summary>
    public static int FrameSizeFor(int mtu) => Math.Min(MaxFrameSize, (mtu + 14 + FrameOverhead + FrameAlignment - 1) / FrameAlignment * FrameAlignment);

    /// <summary>Bytes per frame.</summary>
    public int FrameSize { get; }

    /// <summary>Frames in the ring.</summary>
    public int FrameCount { get; }

    /// <summary>The frame the reader looks at next (kept across detach and re-attach).</summary>
    public int Next { get; set; }

    /// <summary>Sets up the ring on <paramref name="fd"/> and maps it; returns 0 or an errno (nothing left behind on failure).</summary>
    public static int Create(int fd, int frameSize, out PacketRing? ring)
    {
        ring = null;
        int blockSize = Math.Max(frameSize, MaxBlockSize);
        blockSize = (blockSize + PageSize - 1) / PageSize * PageSize;
        int framesPerBlock = blockSize / frameSize;
        int blockCount = Math.Max(RingBytes / blockSize, (MinFrames + framesPerBlock - 1) / framesPerBlock);
        int frameCount = framesPerBlock * blockCount;
        var request = new TpacketReq
        {
            BlockSize = (uint)blockSize,
            BlockCount = (uint)blockCount,
            FrameSize = (uint)frameSize,
            FrameCount = (uint)frameCount,
        };
        if (SocketNative.SetSockOpt(fd, SocketNative.SOL_PACKET, SocketNative.PACKET_RX_RING, &request, (uint)sizeof(TpacketReq)) != 0)
        {
            return FileNative.LastErrno;
        }
        nuint length = (nuint)blockSize * (nuint)blockCount;
        void* mapping = MemoryMapNative.Mmap(null, length, MemoryMapNative.PROT_READ | MemoryMapNative.PROT_WRITE,
            MemoryMapNative.MAP_SHARED, fd, 0);
        if (mapping == MemoryMapNative.MAP_FAILED)
        {
            int errno = FileNative.LastErrno;
            TearDown(fd);
            return errno;
        }
        ring = new PacketRing(fd, (byte*)mapping, length, frameSize, frameCount, blockSize);
        return 0;
    }

    /// <summary>The header of frame <paramref name="index"/>.</summary>
    public TpacketHdr* Frame(int index) =>
        (TpacketHdr*)(_base + (nint)(index / _framesPerBlock) * _blockSize + (nint)(index % _framesPerBlock) * FrameSize);

    /// <summary>The status word of frame <paramref name="index"/>, read with acquire semantics.</summary>
    public ulong Status(int index) => Volatile.Read(ref Frame(index)->Status);

    /// <summary>Gives frame <paramref name="index"/> back to the kernel (release semantics: our reads of it are done).</summary>
    public void ReturnToKernel(int index) => Volatile.Write(ref Frame(index)->Status, SocketNative.TP_STATUS_KERNEL);

    /// <summary>
    /// Finds the oldest frame the kernel handed over (a user frame whose predecessor is the kernel's) and moves
    /// <see cref="Next"/> there. Returns true when <see cref="Next"/> changed.
    /// </summary>
    public bool Resynchronise()
    {
        int firstUser = -1;
        for (int i = 0; i < FrameCount; i++)
        {
            if ((Status(i) & SocketNative.TP_STATUS_USER) == 0)
            {
                continue;
            }
            firstUser = firstUser < 0 ? i : firstUser;
            int previous = (i + FrameCount - 1) % FrameCount;
            if ((Status(previous) & SocketNative.TP_STATUS_USER) == 0)
            {
                if (i == Next)
                {
                    return false;
                }
                Next = i;
                return true;
            }
        }
        if (firstUser >= 0 && firstUser != Next && (Status(Next) & SocketNative.TP_STATUS_USER) == 0)
        {
            Next = firstUser;
            return true;
        }
        return false;
    }

    /// <summary>Claims the ring for one reader; false while another reader (one that outlived a detach) still has it.</summary>
    public bool TryAcquire() => Interlocked.CompareExchange(ref _inUse, 1, 0) == 0;

    /// <summary>Gives up the claim of <see cref="TryAcquire"/>.</summary>
    public void ReleaseUse() => Volatile.Write(ref _inUse, 0);

    public void AddRef() => Interlocked.Increment(ref _refs);

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            MemoryMapNative.Munmap(_base, _length);
            TearDown(_fd);
        }
    }

    private static void TearDown(int fd)
    {
        var none = default(TpacketReq);
        SocketNative.SetSockOpt(fd, SocketNative.SOL_PACKET, SocketNative.PACKET_RX_RING, &none, (uint)sizeof(TpacketReq));
    }
}
