using System.Runtime.InteropServices;

namespace Netstack.Interop;

/// <summary><c>struct iovec</c>: one scatter/gather element.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct IoVec
{
    /// <summary>Start of the bytes.</summary>
    public byte* Base;
    /// <summary>Number of bytes.</summary>
    public nuint Length;
}

/// <summary><c>struct msghdr</c> (64-bit layout).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct MsgHdr
{
    /// <summary>Optional address.</summary>
    public void* Name;
    /// <summary>Size of the address.</summary>
    public uint NameLength;
    /// <summary>Scatter/gather array.</summary>
    public IoVec* Iov;
    /// <summary>Elements in <see cref="Iov"/>.</summary>
    public nuint IovLength;
    /// <summary>Ancillary data.</summary>
    public void* Control;
    /// <summary>Ancillary data buffer length.</summary>
    public nuint ControlLength;
    /// <summary>Flags on the received message (MSG_TRUNC...).</summary>
    public int Flags;
}

/// <summary><c>struct mmsghdr</c>: one message of a recvmmsg/sendmmsg batch.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct MMsgHdr
{
    /// <summary>The message.</summary>
    public MsgHdr Header;
    /// <summary>Bytes received or sent for this message.</summary>
    public uint Length;
}

/// <summary><c>struct pollfd</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct PollFd
{
    /// <summary>The file descriptor.</summary>
    public int Fd;
    /// <summary>Requested events.</summary>
    public short Events;
    /// <summary>Returned events.</summary>
    public short ReturnedEvents;
}

/// <summary><c>struct timespec</c> (64-bit).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct TimeSpec
{
    /// <summary>Seconds.</summary>
    public long Seconds;
    /// <summary>Nanoseconds.</summary>
    public long Nanoseconds;
}

/// <summary><c>struct sockaddr_ll</c>: an AF_PACKET address (20 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct SockaddrLl
{
    /// <summary>AF_PACKET.</summary>
    public ushort Family;
    /// <summary>EtherType in network byte order.</summary>
    public ushort Protocol;
    /// <summary>Interface index.</summary>
    public int IfIndex;
    /// <summary>ARP hardware type.</summary>
    public ushort HaType;
    /// <summary>Packet type (PACKET_HOST...).</summary>
    public byte PacketType;
    /// <summary>Length of the address.</summary>
    public byte HaLength;
    /// <summary>Physical-layer address.</summary>
    public fixed byte Address[8];
}

/// <summary><c>struct tpacket_req</c>: the PACKET_RX_RING geometry.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct TpacketReq
{
    /// <summary>Bytes per block (a multiple of the page size).</summary>
    public uint BlockSize;
    /// <summary>Number of blocks.</summary>
    public uint BlockCount;
    /// <summary>Bytes per frame (a multiple of TPACKET_ALIGNMENT).</summary>
    public uint FrameSize;
    /// <summary>Total frames.</summary>
    public uint FrameCount;
}

/// <summary><c>struct tpacket_hdr</c> (TPACKET_V1): the header at the start of each ring frame.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct TpacketHdr
{
    /// <summary>Ownership and flags: TP_STATUS_KERNEL (0) or TP_STATUS_USER (1) plus flags. Read and written atomically.</summary>
    public ulong Status;
    /// <summary>Length of the packet on the wire.</summary>
    public uint Length;
    /// <summary>Bytes captured in the frame.</summary>
    public uint SnapLength;
    /// <summary>Offset of the link header from the frame start.</summary>
    public ushort MacOffset;
    /// <summary>Offset of the network header from the frame start.</summary>
    public ushort NetOffset;
    /// <summary>Timestamp seconds.</summary>
    public uint Seconds;
    /// <summary>Timestamp microseconds.</summary>
    public uint Microseconds;
}

/// <summary><c>struct ifreq</c> with the short flags member (40 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
public unsafe struct IfReq
{
    /// <summary>Interface name, NUL-terminated (IFNAMSIZ = 16).</summary>
    public fixed byte Name[16];
    /// <summary>ifr_flags (or the first bytes of the union).</summary>
    public short Flags;
}
