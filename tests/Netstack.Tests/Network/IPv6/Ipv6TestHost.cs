using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using Netstack.Buffers;
using Netstack.Link.Channel;
using Netstack.Network.IPv6;
using Netstack.Stack;
using PacketDotNet;

namespace Netstack.Tests.Network.IPv6;

/// <summary>
/// One stack with IPv6 on an in-memory link, a fake clock, and a UDP-shaped transport (protocol 17) that
/// records what it is given. Frames the stack writes are read back and decoded with PacketDotNet.
/// </summary>
internal sealed class Ipv6TestHost : IDisposable
{
    public static readonly LinkAddress Mac = LinkAddress.Parse("52:54:00:12:34:56");
    public static readonly LinkAddress PeerMac = LinkAddress.Parse("02:00:00:00:00:02");
    public static readonly Address Global = Address.Parse("fd00::1");
    public static readonly Address Peer = Address.Parse("fd00::2");
    public static readonly Address LinkLocal = Address.Parse("fe80::5054:ff:fe12:3456");
    public static readonly Address PeerLinkLocal = Address.Parse("fe80::2");

    private readonly long _chunksBefore = ChunkPool.Shared.Outstanding;

    public Ipv6TestHost(Ipv6Options? options = null, bool ethernet = true, int mtu = 1500, bool addAddress = true,
        bool settle = true, bool staticPeer = true, LinkAddress? mac = null, Address? address = null)
    {
        Stack = new NetworkStack(new StackOptions
        {
            TimeProvider = Time,
            NetworkProtocols = [s => Ip = new Ipv6Protocol(s, options ?? Quiet)],
            TransportProtocols = [_ => Udp],
        });
        Link = new ChannelEndpoint(mtu, ethernet ? mac ?? Mac : default);
        Nic = Stack.CreateNic(1, Link);
        if (addAddress)
        {
            Stack.AddAddress(1, new AddressWithPrefix(address ?? Global, 64));
        }
        if (settle)
        {
            // Let DAD finish so addresses are assigned.
            Time.Advance(TimeSpan.FromSeconds(2));
            Link.DrainOutbound();
        }
        // Port 1000 (the source port of SendUdp, for errors) and port 7 (for multicast) are bound.
        Stack.Demuxer.Register(17, new TransportEndpointId(1000, Address.AnyV6, 0, default), Udp);
        Stack.Demuxer.Register(17, new TransportEndpointId(7, Address.AnyV6, 0, default), Udp);
        if (staticPeer && ethernet)
        {
            Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.AddStatic(Peer, PeerMac);
            Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.AddStatic(PeerLinkLocal, PeerMac);
        }
    }

    /// <summary>No router solicitations, so tests see only the traffic they cause.</summary>
    public static Ipv6Options Quiet => new() { MaxRouterSolicitations = 0 };

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public NetworkStack Stack { get; }

    public Ipv6Protocol Ip { get; private set; } = null!;

    public RecordingTransport Udp { get; } = new(17);

    public ChannelEndpoint Link { get; }

    public Nic Nic { get; }

    public bool Ethernet => Link.IsEthernet;

    /// <summary>Delivers an IPv6 packet as if received (in an Ethernet frame from the peer on an Ethernet link).</summary>
    public void Receive(byte[] ipPacket, LinkAddress? destinationMac = null, LinkAddress? sourceMac = null)
    {
        if (!Ethernet)
        {
            Link.InjectFrame(ipPacket);
            return;
        }
        var dst = ipPacket.Length >= 40 ? Address.ReadV6(ipPacket.AsSpan(24)) : Global;
        var mac = destinationMac ?? (dst.IsMulticast ? LinkAddress.FromIPv6Multicast(dst) : Mac);
        Link.InjectFrame(V6Packets.Ethernet(mac, sourceMac ?? PeerMac, ipPacket));
    }

    /// <summary>Every frame written since the last call, as bytes (link header included).</summary>
    public List<byte[]> Frames()
    {
        var frames = new List<byte[]>();
        while (Link.TryReadOutbound() is { } p)
        {
            frames.Add(p.ToArray());
            p.Release();
        }
        return frames;
    }

    /// <summary>Every IPv6 packet written since the last call, decoded by PacketDotNet.</summary>
    public List<IPv6Packet> Sent() => Frames().Select(Decode).ToList();

    /// <summary>Sent packets that are not NDP (neighbour or router discovery).</summary>
    public List<IPv6Packet> SentExceptNdp() => Sent().Where(p => !IsNdp(p)).ToList();

    public IPv6Packet Decode(byte[] frame)
    {
        if (Ethernet)
        {
            var eth = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
            return (IPv6Packet)eth.PayloadPacket;
        }
        return new IPv6Packet(new PacketDotNet.Utils.ByteArraySegment(frame));
    }

    /// <summary>The ICMPv6 message bytes of a decoded packet (after any extension headers).</summary>
    public static byte[] IcmpBytes(IPv6Packet p) => p.PayloadData ?? p.PayloadPacket.Bytes;

    public static bool IsNdp(IPv6Packet p) =>
        p.Protocol == ProtocolType.IcmpV6 && IcmpBytes(p)[0] is >= 133 and <= 137;

    /// <summary>Sends a UDP-shaped payload from this host through the route the stack finds.</summary>
    public WriteResult SendUdp(Address destination, byte[] data, ushort sourcePort = 1000, ushort destinationPort = 2000,
        byte hopLimit = 0, bool dontFragment = false)
    {
        Assert.Equal(TcpipError.None, Stack.FindRoute(destination, out var route, nicId: destination.IsMulticast || destination.IsLinkLocalUnicast ? 1 : 0));
        var udp = V6Packets.Udp(route!.LocalAddress, destination, sourcePort, destinationPort, data);
        var packet = PacketBuffer.Rent(route.MaxHeaderLength, udp);
        try
        {
            return route.WritePackets([packet], new NetworkHeaderParams(17, hopLimit, DontFragment: dontFragment));
        }
        finally
        {
            packet.Release();
        }
    }

    /// <summary>Advances the fake clock in steps, so timers re-armed by callbacks fire within the span too.</summary>
    public void Advance(TimeSpan total, double stepMs = 100)
    {
        var step = TimeSpan.FromMilliseconds(stepMs);
        for (var left = total; left > TimeSpan.Zero; left -= step)
        {
            Time.Advance(left < step ? left : step);
        }
    }

    public static ushort ReadU16(byte[] bytes, int offset) => BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset));

    public static uint ReadU32(byte[] bytes, int offset) => BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset));

    public void Dispose()
    {
        Stack.Dispose();
        Link.Dispose();
        Udp.Clear();
        Assert.Equal(0, Stack.Stats.HandlerFaults.Value);
        Assert.Equal(0, Nic.Stats.DroppedHandlerFault.Value);
    }

    /// <summary>Fails when pooled chunks rented during the test were not returned (only meaningful without other tests running in parallel on the shared pool).</summary>
    public long ChunksOutstandingDelta => ChunkPool.Shared.Outstanding - _chunksBefore;
}

/// <summary>A transport protocol that accepts every packet on any port and records it, and records errors.</summary>
internal sealed class RecordingTransport : ITransportProtocol, ITransportEndpoint
{
    private readonly List<(TransportEndpointId Id, byte[] Data)> _packets = new();
    private readonly List<(TransportEndpointId Id, TransportError Error)> _errors = new();

    public RecordingTransport(byte number) => Number = number;

    public byte Number { get; }

    /// <summary>When false, no endpoint matches (the stack then asks for a port unreachable).</summary>
    public bool Listening { get; set; } = true;

    public IReadOnlyList<(TransportEndpointId Id, byte[] Data)> Packets
    {
        get
        {
            lock (_packets)
            {
                return _packets.ToArray();
            }
        }
    }

    public IReadOnlyList<(TransportEndpointId Id, TransportError Error)> Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToArray();
            }
        }
    }

    public bool TryParsePorts(PacketBuffer packet, out ushort sourcePort, out ushort destinationPort)
    {
        sourcePort = destinationPort = 0;
        if (!packet.TryPeekData(4, out var b))
        {
            return false;
        }
        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(b);
        destinationPort = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
        return true;
    }

    public bool HandleUnmatched(Nic nic, PacketBuffer packet, in TransportEndpointId id)
    {
        if (Listening)
        {
            HandlePacket(nic, id, packet);
            return false;
        }
        return true;
    }

    public void HandlePacket(Nic nic, in TransportEndpointId id, PacketBuffer packet)
    {
        lock (_packets)
        {
            _packets.Add((id, packet.DataToArray()));
        }
    }

    public void HandleError(in TransportEndpointId id, TransportError error)
    {
        lock (_errors)
        {
            _errors.Add((id, error));
        }
    }

    public void Clear()
    {
        lock (_packets)
        {
            _packets.Clear();
        }
    }
}
