using System.Runtime.InteropServices;
using Netstack.Buffers;
using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>
/// Native memory one WritePackets call builds its system-call arguments in: mmsghdrs, an iovec arena, one
/// virtio-net header per message, and the expected length of each. Reused across calls so sending allocates nothing.
/// </summary>
internal sealed unsafe class WriteScratch : IDisposable
{
    /// <summary>Packets per sendmmsg (gVisor: a 64 KiB segment split by software GSO is 47 packets).</summary>
    public const int MaxBatch = 47;

    /// <summary>iovecs in the arena; one packet never needs more than IOV_MAX of them.</summary>
    public const int IoVecCapacity = 2048;

    public readonly MMsgHdr* Messages;
    public readonly IoVec* IoVecs;
    public readonly byte* VirtioHeaders;
    public readonly int[] Expected = new int[MaxBatch];

    /// <summary>Which packet of the batch each message carries (empty packets have no message).</summary>
    public readonly int[] PacketIndex = new int[MaxBatch];

    /// <summary>Chunks that flattened packets with too many views were copied into; released after the send.</summary>
    public readonly List<Chunk> Flattened = new(4);

    public WriteScratch()
    {
        Messages = (MMsgHdr*)NativeMemory.AllocZeroed(MaxBatch, (nuint)sizeof(MMsgHdr));
        IoVecs = (IoVec*)NativeMemory.AllocZeroed(IoVecCapacity, (nuint)sizeof(IoVec));
        VirtioHeaders = (byte*)NativeMemory.AllocZeroed(MaxBatch, 16);
    }

    public void ReleaseFlattened()
    {
        foreach (var chunk in Flattened)
        {
            chunk.Release();
        }
        Flattened.Clear();
    }

    public void Dispose()
    {
        ReleaseFlattened();
        NativeMemory.Free(Messages);
        NativeMemory.Free(IoVecs);
        NativeMemory.Free(VirtioHeaders);
    }
}
