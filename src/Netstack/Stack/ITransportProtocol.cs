using Netstack.Buffers;

namespace Netstack.Stack;

/// <summary>A transport protocol (UDP, TCP) registered with a <see cref="NetworkStack"/>.</summary>
public interface ITransportProtocol
{
    /// <summary>The IP protocol number.</summary>
    byte Number { get; }

    /// <summary>
    /// Reads the ports from the transport header at the front of the packet's data without consuming it;
    /// false when the header is too short to hold them.
    /// </summary>
    bool TryParsePorts(PacketBuffer packet, out ushort sourcePort, out ushort destinationPort);

    /// <summary>
    /// Handles a packet no endpoint matched: for example TCP answers with a RST. Returns true when the
    /// network layer should answer with an ICMP port unreachable instead.
    /// </summary>
    bool HandleUnmatched(Nic nic, PacketBuffer packet, in TransportEndpointId id);
}
