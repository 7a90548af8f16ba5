using System.Buffers.Binary;
using Netstack.Interop;

namespace Netstack.Link.PacketSocket;

/// <summary>
/// An AF_PACKET SOCK_RAW socket bound to one interface (every EtherType), opened in the calling thread's
/// network namespace: the fd an <see cref="FdBased.FdBasedEndpoint"/> uses to send and receive whole Ethernet
/// frames on a real or veth interface. <see cref="Dispose"/> closes it.
/// </summary>
public sealed unsafe class PacketSocket : IDisposable
{
    private int _fd;

    private PacketSocket(int fd, string interfaceName, int interfaceIndex)
    {
        _fd = fd;
        InterfaceName = interfaceName;
        InterfaceIndex = interfaceIndex;
    }

    /// <summary>The fd to give an endpoint.</summary>
    public int Fd => _fd;

    /// <summary>The interface bound to.</summary>
    public string InterfaceName { get; }

    /// <summary>Its index.</summary>
    public int InterfaceIndex { get; }

    /// <summary>The socket's receive buffer as the kernel reports it (twice the size set, for its bookkeeping); 0 if unknown.</summary>
    public int ReceiveBufferBytes => SocketNative.GetInt(_fd, SocketNative.SOL_SOCKET, SocketNative.SO_RCVBUF, out int value) == 0 ? value : 0;

    /// <summary>
    /// Opens a socket bound to <paramref name="interfaceName"/>. With <paramref name="ignoreOutgoing"/> the kernel
    /// does not hand back frames the host itself sends on the interface; <paramref name="virtioHeader"/> sets
    /// PACKET_VNET_HDR (host GSO); a non-zero <paramref name="receiveBufferBytes"/> sets SO_RCVBUFFORCE, or SO_RCVBUF without CAP_NET_ADMIN (bursts
    /// beyond the receive buffer are dropped by the kernel).
    /// </summary>
    /// <exception cref="ArgumentException">No such interface.</exception>
    /// <exception cref="IOException">The kernel refused (no CAP_NET_RAW...).</exception>
    public static PacketSocket Open(string interfaceName, bool ignoreOutgoing = true, bool virtioHeader = false, int receiveBufferBytes = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        int index = (int)InterfaceNative.IfNameToIndex(interfaceName);
        if (index == 0)
        {
            throw new ArgumentException($"There is no interface '{interfaceName}' in this network namespace.", nameof(interfaceName));
        }
        ushort protocol = BinaryPrimitives.ReverseEndianness(SocketNative.ETH_P_ALL);
        int fd = SocketNative.Socket(SocketNative.AF_PACKET, SocketNative.SOCK_RAW | SocketNative.SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            throw new IOException($"socket(AF_PACKET) failed: errno {FileNative.LastErrno}.");
        }
        var address = new SockaddrLl { Family = SocketNative.AF_PACKET, Protocol = protocol, IfIndex = index };
        int errno = SocketNative.Bind(fd, &address, (uint)sizeof(SockaddrLl)) == 0 ? 0 : FileNative.LastErrno;
        if (errno == 0 && ignoreOutgoing)
        {
            errno = SocketNative.SetInt(fd, SocketNative.SOL_PACKET, SocketNative.PACKET_IGNORE_OUTGOING, 1);
        }
        if (errno == 0 && receiveBufferBytes > 0)
        {
            errno = SocketNative.SetInt(fd, SocketNative.SOL_SOCKET, SocketNative.SO_RCVBUFFORCE, receiveBufferBytes);
            if (errno == Errno.EPERM)
            {
                // Without CAP_NET_ADMIN the size is capped at net.core.rmem_max instead.
                errno = SocketNative.SetInt(fd, SocketNative.SOL_SOCKET, SocketNative.SO_RCVBUF, receiveBufferBytes);
            }
        }
        if (errno == 0 && virtioHeader)
        {
            errno = SocketNative.SetInt(fd, SocketNative.SOL_PACKET, SocketNative.PACKET_VNET_HDR, 1);
        }
        if (errno != 0)
        {
            FileNative.Close(fd);
            throw new IOException($"Setting up the AF_PACKET socket on '{interfaceName}' failed: errno {errno}.");
        }
        return new PacketSocket(fd, interfaceName, index);
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            FileNative.Close(fd);
        }
    }
}
