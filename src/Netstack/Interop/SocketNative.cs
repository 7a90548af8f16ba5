using System.Runtime.InteropServices;

namespace Netstack.Interop;

/// <summary>Socket calls: socket, socketpair, bind, getsockname, socket options, recvmsg, recvmmsg, sendmmsg.</summary>
public static unsafe partial class SocketNative
{
    /// <summary>AF_UNIX.</summary>
    public const int AF_UNIX = 1;
    /// <summary>AF_INET.</summary>
    public const int AF_INET = 2;
    /// <summary>AF_PACKET.</summary>
    public const int AF_PACKET = 17;
    /// <summary>SOCK_STREAM.</summary>
    public const int SOCK_STREAM = 1;
    /// <summary>SOCK_DGRAM.</summary>
    public const int SOCK_DGRAM = 2;
    /// <summary>SOCK_RAW.</summary>
    public const int SOCK_RAW = 3;
    /// <summary>SOCK_SEQPACKET.</summary>
    public const int SOCK_SEQPACKET = 5;
    /// <summary>SOCK_NONBLOCK.</summary>
    public const int SOCK_NONBLOCK = 0x800;
    /// <summary>SOCK_CLOEXEC.</summary>
    public const int SOCK_CLOEXEC = 0x80000;
    /// <summary>SOL_SOCKET.</summary>
    public const int SOL_SOCKET = 1;
    /// <summary>SO_TYPE.</summary>
    public const int SO_TYPE = 3;
    /// <summary>SO_ERROR.</summary>
    public const int SO_ERROR = 4;
    /// <summary>SO_SNDBUF.</summary>
    public const int SO_SNDBUF = 7;
    /// <summary>SO_RCVBUF.</summary>
    public const int SO_RCVBUF = 8;
    /// <summary>SO_SNDBUFFORCE.</summary>
    public const int SO_SNDBUFFORCE = 32;
    /// <summary>SO_RCVBUFFORCE.</summary>
    public const int SO_RCVBUFFORCE = 33;
    /// <summary>MSG_TRUNC.</summary>
    public const int MSG_TRUNC = 0x20;
    /// <summary>MSG_DONTWAIT.</summary>
    public const int MSG_DONTWAIT = 0x40;
    /// <summary>MSG_NOSIGNAL.</summary>
    public const int MSG_NOSIGNAL = 0x4000;
    /// <summary>SOL_PACKET.</summary>
    public const int SOL_PACKET = 263;
    /// <summary>PACKET_RX_RING.</summary>
    public const int PACKET_RX_RING = 5;
    /// <summary>PACKET_VERSION.</summary>
    public const int PACKET_VERSION = 10;
    /// <summary>PACKET_VNET_HDR.</summary>
    public const int PACKET_VNET_HDR = 15;
    /// <summary>PACKET_FANOUT.</summary>
    public const int PACKET_FANOUT = 18;
    /// <summary>PACKET_QDISC_BYPASS.</summary>
    public const int PACKET_QDISC_BYPASS = 20;
    /// <summary>PACKET_IGNORE_OUTGOING.</summary>
    public const int PACKET_IGNORE_OUTGOING = 23;
    /// <summary>PACKET_FANOUT_HASH.</summary>
    public const int PACKET_FANOUT_HASH = 0;
    /// <summary>PACKET_FANOUT_CPU.</summary>
    public const int PACKET_FANOUT_CPU = 2;
    /// <summary>PACKET_FANOUT_FLAG_UNIQUEID: the kernel picks a free group id (Linux 4.20).</summary>
    public const int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
    /// <summary>ETH_P_ALL: every protocol.</summary>
    public const ushort ETH_P_ALL = 0x0003;
    /// <summary>TP_STATUS_KERNEL: the frame belongs to the kernel.</summary>
    public const ulong TP_STATUS_KERNEL = 0;
    /// <summary>TP_STATUS_USER: the frame holds a packet for user space.</summary>
    public const ulong TP_STATUS_USER = 1;
    /// <summary>TP_STATUS_COPY: the packet was larger than the frame (truncated).</summary>
    public const ulong TP_STATUS_COPY = 2;
    /// <summary>TP_STATUS_LOSING: the kernel dropped packets since the last read.</summary>
    public const ulong TP_STATUS_LOSING = 4;

    /// <summary>socket(2).</summary>
    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    /// <summary>socketpair(2).</summary>
    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    /// <summary>bind(2).</summary>
    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* address, uint addressLength);

    /// <summary>getsockname(2).</summary>
    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, void* address, uint* addressLength);

    /// <summary>getsockopt(2).</summary>
    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    /// <summary>setsockopt(2).</summary>
    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    /// <summary>recvmsg(2).</summary>
    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    /// <summary>recvmmsg(2); a null timeout.</summary>
    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, TimeSpec* timeout);

    /// <summary>sendmmsg(2).</summary>
    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    /// <summary>Sets an integer socket option; returns 0 or an errno.</summary>
    public static int SetInt(int fd, int level, int name, int value) =>
        SetSockOpt(fd, level, name, &value, sizeof(int)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Reads an integer socket option; returns 0 or an errno.</summary>
    public static int GetInt(int fd, int level, int name, out int value)
    {
        int v = 0;
        uint length = sizeof(int);
        int rc = GetSockOpt(fd, level, name, &v, &length);
        value = v;
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The address family of a bound socket (from getsockname); returns 0 or an errno.</summary>
    public static int GetFamily(int fd, out int family)
    {
        byte* address = stackalloc byte[128];
        uint length = 128;
        if (GetSockName(fd, address, &length) != 0)
        {
            family = 0;
            return Marshal.GetLastPInvokeError();
        }
        family = *(ushort*)address;
        return 0;
    }
}
