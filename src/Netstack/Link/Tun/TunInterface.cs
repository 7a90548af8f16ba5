using Netstack.Interop;

namespace Netstack.Link.Tun;

/// <summary>
/// An open TUN or TAP device (IFF_NO_PI, optionally IFF_VNET_HDR), created or attached by name through
/// /dev/net/tun in the calling thread's network namespace. The device lives while the fd is open (it is not
/// made persistent); <see cref="Dispose"/> closes the fd.
/// </summary>
public sealed unsafe class TunInterface : IDisposable
{
    private int _fd;

    private TunInterface(int fd, string name, TunMode mode, bool virtioHeader)
    {
        _fd = fd;
        Name = name;
        Mode = mode;
        VirtioHeader = virtioHeader;
    }

    /// <summary>The fd to give an endpoint.</summary>
    public int Fd => _fd;

    /// <summary>The interface name the kernel gave (or kept).</summary>
    public string Name { get; }

    /// <summary>TUN or TAP.</summary>
    public TunMode Mode { get; }

    /// <summary>Each packet is preceded by a virtio-net header.</summary>
    public bool VirtioHeader { get; }

    /// <summary>Opens (creating if needed) the device <paramref name="name"/>; a name with "%d" lets the kernel number it.</summary>
    /// <exception cref="ArgumentException">The name or mode is invalid.</exception>
    /// <exception cref="IOException">The kernel refused (no /dev/net/tun, no CAP_NET_ADMIN, device busy...).</exception>
    public static TunInterface Open(string name, TunMode mode, bool virtioHeader = false)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Tun or Tap.");
        }
        var request = default(IfReq);
        InterfaceNative.SetName(ref request, name);
        request.Flags = (short)((mode == TunMode.Tun ? InterfaceNative.IFF_TUN : InterfaceNative.IFF_TAP) | InterfaceNative.IFF_NO_PI
            | (virtioHeader ? InterfaceNative.IFF_VNET_HDR : 0));
        int fd = FileNative.Open("/dev/net/tun", FileNative.O_RDWR | FileNative.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"Opening /dev/net/tun failed: errno {FileNative.LastErrno}.");
        }
        if (FileNative.Ioctl(fd, InterfaceNative.TUNSETIFF, &request) < 0)
        {
            int errno = FileNative.LastErrno;
            FileNative.Close(fd);
            throw new IOException($"TUNSETIFF {mode} '{name}' failed: errno {errno}{(errno == Errno.EPERM ? " (needs CAP_NET_ADMIN)" : "")}.");
        }
        return new TunInterface(fd, InterfaceNative.GetName(request), mode, virtioHeader);
    }

    /// <summary>
    /// Lets the kernel hand over packets with partial checksums and TCP super-segments of up to 64 KiB
    /// (TUNSETOFFLOAD with TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6), as it does to a virtio NIC: far fewer packets
    /// on a bulk transfer towards the stack. Needs the virtio-net header, whose flags then mark such packets
    /// (the endpoint reports them as checksum-validated).
    /// </summary>
    /// <exception cref="InvalidOperationException">The device was opened without the virtio-net header.</exception>
    /// <exception cref="IOException">The kernel refused.</exception>
    public void EnableReceiveOffloads()
    {
        if (!VirtioHeader)
        {
            throw new InvalidOperationException("Receive offloads need the virtio-net header: open the device with virtioHeader: true.");
        }
        nint flags = (nint)(InterfaceNative.TUN_F_CSUM | InterfaceNative.TUN_F_TSO4 | InterfaceNative.TUN_F_TSO6);
        if (FileNative.Ioctl(_fd, InterfaceNative.TUNSETOFFLOAD, flags) < 0)
        {
            throw new IOException($"TUNSETOFFLOAD on '{Name}' failed: errno {FileNative.LastErrno}.");
        }
    }

    /// <summary>Closes the fd (a non-persistent device disappears with it).</summary>
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            FileNative.Close(fd);
        }
    }
}
