using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>
/// Puts one endpoint's AF_PACKET sockets into one PACKET_FANOUT_HASH group of their own, so the kernel
/// spreads flows over them consistently. The group id comes from the kernel (PACKET_FANOUT_FLAG_UNIQUEID,
/// Linux 4.20+); without it, a candidate id is first probed with a throwaway socket of another fanout type,
/// which the kernel refuses when any group in the namespace already uses the id. gVisor's global counter
/// instead let two endpoints (or processes) in one namespace collide.
/// </summary>
internal static class FanoutGroup
{
    private const ushort ProbeProtocol = 0x88B5; // IEEE local experimental EtherType: nothing else listens.
    private static int _nextCandidate = (Environment.ProcessId * 7919) & 0xFFFF;

    /// <summary>Joins every fd to a new group; returns 0 and the id, or an errno.</summary>
    public static int Join(IReadOnlyList<int> fds, bool forceFallback, out int groupId)
    {
        groupId = -1;
        if (fds.Count == 0)
        {
            return 0;
        }
        int first = fds[0];
        int errno = Errno.EINVAL;
        if (!forceFallback)
        {
            errno = SocketNative.SetInt(first, SocketNative.SOL_PACKET, SocketNative.PACKET_FANOUT,
                (SocketNative.PACKET_FANOUT_HASH | SocketNative.PACKET_FANOUT_FLAG_UNIQUEID) << 16);
            if (errno == 0)
            {
                errno = SocketNative.GetInt(first, SocketNative.SOL_PACKET, SocketNative.PACKET_FANOUT, out int value);
                groupId = value & 0xFFFF;
            }
        }
        if (errno == Errno.EINVAL)
        {
            errno = JoinWithProbedId(first, out groupId);
        }
        if (errno != 0)
        {
            return errno;
        }
        for (int i = 1; i < fds.Count; i++)
        {
            errno = SocketNative.SetInt(fds[i], SocketNative.SOL_PACKET, SocketNative.PACKET_FANOUT, groupId | SocketNative.PACKET_FANOUT_HASH << 16);
            if (errno != 0)
            {
                return errno;
            }
        }
        return 0;
    }

    private static int JoinWithProbedId(int fd, out int groupId)
    {
        groupId = -1;
        int probe = SocketNative.Socket(SocketNative.AF_PACKET, SocketNative.SOCK_RAW | SocketNative.SOCK_CLOEXEC,
            System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(ProbeProtocol));
        if (probe < 0)
        {
            return FileNative.LastErrno;
        }
        try
        {
            for (int attempt = 0; attempt < 0x10000; attempt++)
            {
                int candidate = Interlocked.Increment(ref _nextCandidate) & 0xFFFF;
                // A group with this id exists (any type, any device) => EINVAL; otherwise the probe founds it.
                if (SocketNative.SetInt(probe, SocketNative.SOL_PACKET, SocketNative.PACKET_FANOUT, candidate | SocketNative.PACKET_FANOUT_CPU << 16) != 0)
                {
                    continue;
                }
                // Leave the probe's group (closing is the only way out), then take the id for real.
                FileNative.Close(probe);
                probe = -1;
                int errno = SocketNative.SetInt(fd, SocketNative.SOL_PACKET, SocketNative.PACKET_FANOUT, candidate | SocketNative.PACKET_FANOUT_HASH << 16);
                if (errno == 0)
                {
                    groupId = candidate;
                }
                return errno;
            }
            return Errno.EBUSY;
        }
        finally
        {
            if (probe >= 0)
            {
                FileNative.Close(probe);
            }
        }
    }
}
