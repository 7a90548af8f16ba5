namespace Netstack.Transport.Udp;

/// <summary>The outcome of <see cref="UdpEndpoint.Read"/>.</summary>
/// <param name="BytesCopied">Payload bytes copied into the caller's buffer.</param>
/// <param name="DatagramLength">The datagram's full payload length; more than <paramref name="BytesCopied"/> when the buffer was too small (the rest is discarded, as recvfrom does).</param>
/// <param name="Info">Sender, destination address and NIC.</param>
public readonly record struct UdpReadResult(int BytesCopied, int DatagramLength, UdpDatagramInfo Info)
{
    /// <summary>The buffer was smaller than the datagram; the rest of it is lost (MSG_TRUNC).</summary>
    public bool Truncated => DatagramLength > BytesCopied;
}
