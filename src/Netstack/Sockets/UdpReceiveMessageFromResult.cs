using System.Net;
using System.Net.Sockets;

namespace Netstack.Sockets;

/// <summary>
/// The outcome of <see cref="UdpSocket.ReceiveMessageFromAsync"/>: like .NET's
/// <see cref="SocketReceiveMessageFromResult"/> (bytes, flags, sender, packet information) without
/// allocating: the sender stays a <see cref="FullAddress"/> until <see cref="RemoteEndPoint"/> is asked for.
/// </summary>
/// <param name="ReceivedBytes">Bytes copied into the buffer.</param>
/// <param name="SocketFlags"><see cref="SocketFlags.Truncated"/> when the datagram was larger than the buffer (the rest is lost).</param>
/// <param name="RemoteAddress">The sender (with its NIC as scope for an IPv6 link-local address).</param>
/// <param name="LocalAddress">The datagram's destination address: one of ours, a broadcast address or a multicast group (IP_PKTINFO).</param>
/// <param name="Interface">The NIC id it arrived on (IP_PKTINFO's interface index).</param>
public readonly record struct UdpReceiveMessageFromResult(
    int ReceivedBytes,
    SocketFlags SocketFlags,
    FullAddress RemoteAddress,
    Address LocalAddress,
    int Interface)
{
    /// <summary>The sender as an <see cref="IPEndPoint"/> (allocates).</summary>
    public IPEndPoint RemoteEndPoint => EndPointConverter.ToIPEndPoint(RemoteAddress);

    /// <summary>The datagram was larger than the buffer.</summary>
    public bool Truncated => (SocketFlags & SocketFlags.Truncated) != 0;
}
