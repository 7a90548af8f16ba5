using Netstack.Buffers;

namespace Netstack.Stack;

/// <summary>
/// A network protocol (IPv4, IPv6, ARP) registered with a <see cref="NetworkStack"/>: one instance per
/// stack, handling packets of its EtherType from every NIC.
/// </summary>
public interface INetworkProtocol
{
    /// <summary>The EtherType this protocol handles.</summary>
    ushort Number { get; }

    /// <summary>
    /// Handles one inbound packet (link header consumed) on the NIC's receive thread. Must not throw:
    /// malformed packets are dropped and counted.
    /// </summary>
    void HandlePacket(Nic nic, PacketBuffer packet);

    /// <summary>Called after <paramref name="nic"/> was created (and before it is enabled).</summary>
    void OnNicCreated(Nic nic);

    /// <summary>Called when <paramref name="nic"/> is enabled or disabled.</summary>
    void OnNicEnabledChanged(Nic nic, bool enabled);

    /// <summary>Called before <paramref name="nic"/> is removed (release its state here).</summary>
    void OnNicRemoved(Nic nic);

    /// <summary>
    /// Called when <paramref name="address"/> of this protocol's family is being added to <paramref name="nic"/>,
    /// just before it becomes visible: the protocol may set its state (IPv6 starts duplicate address detection
    /// with <see cref="AddressState.Tentative"/>) and join groups for it.
    /// </summary>
    void OnAddressAdding(Nic nic, NicAddress address);

    /// <summary>Called after <paramref name="address"/> was removed from <paramref name="nic"/>.</summary>
    void OnAddressRemoved(Nic nic, NicAddress address);
}
