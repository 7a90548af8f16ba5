using Netstack.Buffers;

namespace Netstack.Transport.Udp;

/// <summary>
/// A read waiting on a <see cref="UdpEndpoint"/> (see <see cref="UdpEndpoint.ReadOrWait"/>): the socket
/// layer's asynchronous receive. Exactly one of the two methods is called, once, outside the endpoint's locks:
/// on the receive thread when a datagram or an error arrives, on the closing thread when the endpoint closes,
/// or on the reader's own thread when a datagram was already queued.
/// </summary>
public interface IUdpReadWaiter
{
    /// <summary>
    /// Takes the datagram: its payload is <paramref name="datagram"/>'s data. The packet is valid only for
    /// the duration of the call (copy out of it; the endpoint releases it afterwards).
    /// </summary>
    void OnDatagram(PacketBuffer datagram, in UdpDatagramInfo info);

    /// <summary>
    /// The read failed: an ICMP error for a connected endpoint (<see cref="TcpipError.ConnectionRefused"/> and
    /// the like) or <see cref="TcpipError.Aborted"/> when the endpoint closed.
    /// </summary>
    void OnError(TcpipError error);
}
