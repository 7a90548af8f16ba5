using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>What the endpoint learned about one fd at creation (fstat, SO_TYPE, getsockname).</summary>
internal sealed record FdInfo(int Fd, bool IsSocket, int SocketType, bool IsPacketSocket, int OriginalFlags)
{
    /// <summary>A TUN/TAP opened with IFF_VNET_HDR: every packet on it has a virtio-net header, GSO or not.</summary>
    public bool IsVirtioTun { get; init; }

    /// <summary>Packets on this fd start with a virtio-net header (host GSO on a socket, or a virtio TUN/TAP).</summary>
    public bool VirtioHeader { get; init; }

    /// <summary>A read of 0 bytes means the peer is gone (a pipe or stream-like socket), not an empty datagram.</summary>
    public bool ZeroReadMayBeEof => !IsSocket || SocketType is SocketNative.SOCK_SEQPACKET or SocketNative.SOCK_STREAM;
}
