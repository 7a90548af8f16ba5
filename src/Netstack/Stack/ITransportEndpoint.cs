using Netstack.Buffers;

namespace Netstack.Stack;

/// <summary>An endpoint registered with the <see cref="TransportDemuxer"/> (a socket, a listener, a connection).</summary>
public interface ITransportEndpoint
{
    /// <summary>
    /// Handles one packet addressed to this endpoint: network header consumed, transport header at the
    /// front of the data, <see cref="PacketBuffer.SourceAddress"/> and <see cref="PacketBuffer.DestinationAddress"/>
    /// set. Called on a receive thread; the endpoint takes a reference to keep any part of it.
    /// </summary>
    void HandlePacket(Nic nic, in TransportEndpointId id, PacketBuffer packet);

    /// <summary>Handles an error about traffic this endpoint sent (from ICMP).</summary>
    void HandleError(in TransportEndpointId id, TransportError error);
}
