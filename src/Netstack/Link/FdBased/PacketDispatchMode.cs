namespace Netstack.Link.FdBased;

/// <summary>How an <see cref="FdBasedEndpoint"/> reads inbound packets from a socket fd.</summary>
public enum PacketDispatchMode
{
    /// <summary>One readv per packet into the 10-chunk layout; works on every fd (TUN/TAP and pipes always use it).</summary>
    Readv,
    /// <summary>recvmmsg in batches of 8 (sockets only; other fds fall back to <see cref="Readv"/>).</summary>
    RecvMmsg,
    /// <summary>A PACKET_RX_RING shared with the kernel (AF_PACKET sockets only).</summary>
    PacketMmap,
}
