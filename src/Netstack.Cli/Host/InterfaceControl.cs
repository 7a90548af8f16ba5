using System.Runtime.InteropServices;
using Netstack.Interop;

namespace Netstack.Cli.Host;

/// <summary>
/// The kernel-side settings of a network interface that <c>netstack up</c> reads and changes: whether it
/// exists, is up, its MTU and MAC (the classic interface ioctls on a throwaway datagram socket, as
/// <c>ip link</c> and <c>ifconfig</c> do). Works in the calling thread's network namespace.
/// </summary>
internal static unsafe class InterfaceControl
{
    private const nuint SIOCGIFFLAGS = 0x8913;
    private const nuint SIOCSIFFLAGS = 0x8914;
    private const nuint SIOCGIFMTU = 0x8921;
    private const nuint SIOCSIFMTU = 0x8922;
    private const nuint SIOCGIFHWADDR = 0x8927;
    private const nuint SIOCGIFTXQLEN = 0x8942;
    private const nuint SIOCSIFTXQLEN = 0x8943;
    private const short IFF_UP = 0x1;

    /// <summary>True when <paramref name="name"/> exists in this namespace.</summary>
    public static bool Exists(string name) => InterfaceNative.IfNameToIndex(name) != 0;

    /// <summary>True when the interface is administratively up.</summary>
    public static bool IsUp(string name)
    {
        var request = Request(name);
        Ioctl(name, SIOCGIFFLAGS, ref request, "read the flags of");
        return (request.Flags & IFF_UP) != 0;
    }

    /// <summary>Sets the interface up (needs CAP_NET_ADMIN).</summary>
    public static void SetUp(string name)
    {
        var request = Request(name);
        Ioctl(name, SIOCGIFFLAGS, ref request, "read the flags of");
        if ((request.Flags & IFF_UP) != 0)
        {
            return;
        }
        request.Flags |= IFF_UP;
        Ioctl(name, SIOCSIFFLAGS, ref request, "set up");
    }

    /// <summary>The interface MTU.</summary>
    public static int GetMtu(string name) => GetValue(name, SIOCGIFMTU, "read the MTU of");

    /// <summary>Sets the interface MTU (needs CAP_NET_ADMIN).</summary>
    public static void SetMtu(string name, int mtu) => SetValue(name, SIOCSIFMTU, mtu, $"set MTU {mtu} on");

    /// <summary>The interface's transmit queue length (txqueuelen).</summary>
    public static int GetTxQueueLength(string name) => GetValue(name, SIOCGIFTXQLEN, "read the transmit queue length of");

    /// <summary>
    /// Sets the transmit queue length (needs CAP_NET_ADMIN). For a TUN/TAP device it is the queue of packets the
    /// kernel holds for the reader: a burst larger than it is dropped before the reader sees it.
    /// </summary>
    public static void SetTxQueueLength(string name, int length) =>
        SetValue(name, SIOCSIFTXQLEN, length, $"set txqueuelen {length} on");

    /// <summary>The interface's hardware (MAC) address; empty for a device without one (TUN).</summary>
    public static LinkAddress GetMac(string name)
    {
        var request = Request(name);
        Ioctl(name, SIOCGIFHWADDR, ref request, "read the MAC of");
        // struct sockaddr: sa_family (2 bytes), then sa_data; ARPHRD_ETHER is 1.
        byte* p = request.Union;
        if ((p[0] | (p[1] << 8)) != 1)
        {
            return LinkAddress.Empty;
        }
        return LinkAddress.FromBytes(new ReadOnlySpan<byte>(p + 2, LinkAddress.Size));
    }

    private static InterfaceRequest Request(string name)
    {
        var request = default(InterfaceRequest);
        int count = System.Text.Encoding.UTF8.GetByteCount(name);
        if (count == 0 || count >= InterfaceNative.IFNAMSIZ)
        {
            throw new ArgumentException($"An interface name has 1..{InterfaceNative.IFNAMSIZ - 1} bytes; '{name}' has {count}.");
        }
        System.Text.Encoding.UTF8.GetBytes(name, new Span<byte>(request.Name, InterfaceNative.IFNAMSIZ));
        return request;
    }

    // The requests whose answer or argument is the int in the union (MTU, txqueuelen).
    private static int GetValue(string name, nuint command, string what)
    {
        var request = Request(name);
        Ioctl(name, command, ref request, what);
        return request.Value;
    }

    private static void SetValue(string name, nuint command, int value, string what)
    {
        var request = Request(name);
        request.Value = value;
        Ioctl(name, command, ref request, what);
    }

    private static void Ioctl(string name, nuint command, ref InterfaceRequest request, string what)
    {
        int fd = SocketNative.Socket(SocketNative.AF_INET, SocketNative.SOCK_DGRAM | SocketNative.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"socket(AF_INET) failed: errno {FileNative.LastErrno}.");
        }
        try
        {
            fixed (InterfaceRequest* r = &request)
            {
                if (FileNative.Ioctl(fd, command, r) == 0)
                {
                    return;
                }
            }
            int errno = FileNative.LastErrno;
            throw new IOException(errno switch
            {
                Errno.EPERM or Errno.EACCES => $"Cannot {what} '{name}': permission denied (needs CAP_NET_ADMIN: run as root).",
                Errno.ENODEV => $"Cannot {what} '{name}': there is no such interface in this network namespace.",
                Errno.EINVAL => $"Cannot {what} '{name}': the kernel refused the value (errno EINVAL).",
                _ => $"Cannot {what} '{name}': errno {errno}.",
            });
        }
        finally
        {
            FileNative.Close(fd);
        }
    }

    /// <summary>struct ifreq: the name, then a 24-byte union (flags, MTU, hardware address...).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    private struct InterfaceRequest
    {
        public fixed byte Name[16];
        public fixed byte Union[24];

        public short Flags
        {
            readonly get
            {
                fixed (byte* p = Union)
                {
                    return *(short*)p;
                }
            }
            set
            {
                fixed (byte* p = Union)
                {
                    *(short*)p = value;
                }
            }
        }

        public int Value
        {
            readonly get
            {
                fixed (byte* p = Union)
                {
                    return *(int*)p;
                }
            }
            set
            {
                fixed (byte* p = Union)
                {
                    *(int*)p = value;
                }
            }
        }
    }
}
