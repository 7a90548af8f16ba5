using Netstack.Buffers;

namespace Netstack.Stack;

/// <summary>
/// A resolved path to a remote address: local address, next hop, NIC and network protocol (gVisor's
/// <c>stack.Route</c>). Transport endpoints look one up once and keep it; it stays valid while the NIC
/// and the local address exist.
/// </summary>
public sealed class Route
{
    internal Route(Nic nic, IIPProtocol protocol, Address localAddress, Address remoteAddress, Address nextHop, bool isLocal)
    {
        Nic = nic;
        Protocol = protocol;
        LocalAddress = localAddress;
        RemoteAddress = remoteAddress;
        NextHop = nextHop;
        IsLocal = isLocal;
    }

    /// <summary>The NIC packets leave by (for a local route: the NIC that owns the remote address).</summary>
    public Nic Nic { get; }

    /// <summary>The network protocol.</summary>
    public IIPProtocol Protocol { get; }

    /// <summary>The network protocol number (EtherType).</summary>
    public ushort NetworkProtocol => Protocol.Number;

    /// <summary>The source address.</summary>
    public Address LocalAddress { get; }

    /// <summary>The destination address.</summary>
    public Address RemoteAddress { get; }

    /// <summary>The address whose link address frames are sent to: a gateway, or the destination itself.</summary>
    public Address NextHop { get; }

    /// <summary>The destination is this host: packets loop back inside the stack.</summary>
    public bool IsLocal { get; }

    /// <summary>The network-layer MTU towards the destination (path MTU where one was learned).</summary>
    public int Mtu => IsLocal ? Nic.Mtu : Protocol.PathMtu(Nic, RemoteAddress);

    /// <summary>Headroom a transport must reserve: link header plus the largest network header.</summary>
    public int MaxHeaderLength => Nic.Link.MaxHeaderLength + Protocol.MaxHeaderLength;

    /// <summary>The link's capabilities.</summary>
    public LinkCapabilities Capabilities => Nic.Link.Capabilities;

    /// <summary>The transport must compute its checksum in software (no TX checksum offload).</summary>
    public bool RequiresTxChecksum => IsLocal || (Capabilities & LinkCapabilities.TxChecksumOffload) == 0;

    /// <summary>True for a multicast or broadcast destination.</summary>
    public bool IsMulticastOrBroadcast => RemoteAddress.IsMulticast || Nic.IsBroadcast(RemoteAddress);

    /// <summary>Sends one packet (transport header and data in place); the caller keeps ownership.</summary>
    public TcpipError WritePacket(PacketBuffer packet, NetworkHeaderParams parameters) =>
        Protocol.WritePackets(this, new ReadOnlySpan<PacketBuffer>(in packet), parameters).Error;

    /// <summary>Sends packets (transport headers and data in place) as one batch; the caller keeps ownership.</summary>
    public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets, NetworkHeaderParams parameters) =>
        Protocol.WritePackets(this, packets, parameters);

    /// <inheritdoc/>
    public override string ToString() => $"{LocalAddress} -> {RemoteAddress} via {NextHop} on {Nic.Name}{(IsLocal ? " (local)" : "")}";
}
