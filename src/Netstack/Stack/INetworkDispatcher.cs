using Netstack.Buffers;

namespace Netstack.Stack;

/// <summary>Receives packets from a link endpoint (a NIC implements it).</summary>
public interface INetworkDispatcher
{
    /// <summary>
    /// Delivers one inbound packet. The link header, if any, is already consumed and recorded in
    /// <see cref="PacketBuffer.LinkHeader"/>; <paramref name="protocol"/> is the EtherType (from the
    /// Ethernet header, or from the IP version nibble on links without one). The callee does not own
    /// <paramref name="packet"/> beyond the call unless it takes a reference with <see cref="PacketBuffer.IncRef"/>.
    /// Called on the endpoint's reader thread; it must not throw.
    /// </summary>
    void DeliverNetworkPacket(ushort protocol, PacketBuffer packet);
}
