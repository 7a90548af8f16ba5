using Microsoft.Extensions.Time.Testing;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Link.Channel;
using Netstack.Network.Arp;
using Netstack.Network.IPv4;
using Netstack.Stack;

namespace Netstack.Tests.Network.IPv4;

/// <summary>
/// One stack with IPv4 (and ARP), a fake UDP, fake time, and one NIC on a <see cref="ChannelEndpoint"/>
/// (Ethernet when a MAC is given). Frames go in with <see cref="Inject"/> and come out with <see cref="Read"/>.
/// </summary>
internal sealed class Ipv4Harness : IDisposable
{
    public static readonly Address Us = Address.Parse("10.0.0.2");
    public static readonly Address Peer = Address.Parse("10.0.0.1");
    public static readonly Address Far = Address.Parse("192.0.2.7");
    public static readonly LinkAddress OurMac = LinkAddress.Parse("02:00:00:00:00:02");
    public static readonly LinkAddress PeerMac = LinkAddress.Parse("02:00:00:00:00:01");

    public Ipv4Harness(Ipv4ProtocolOptions? options = null, int mtu = 1500, bool ethernet = false, ArpOptions? arp = null,
        string address = "10.0.0.2/24")
    {
        Link = new ChannelEndpoint(mtu, ethernet ? OurMac : default);
        Stack = new NetworkStack(new StackOptions
        {
            TimeProvider = Time,
            NetworkProtocols = [s => new Ipv4Protocol(s, options), s => new ArpProtocol(s, arp)],
            TransportProtocols = [_ => Udp],
        });
        Nic = Stack.CreateNic(1, Link);
        Stack.AddAddress(1, AddressWithPrefix.Parse(address));
        Ip = (Ipv4Protocol)Stack.GetNetworkProtocol(NetworkProtocolNumber.IPv4)!;
        Arp = (ArpProtocol)Stack.GetNetworkProtocol(NetworkProtocolNumber.Arp)!;
        Link.DrainOutbound(); // the gratuitous ARP announcement
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UnixEpoch);

    public ChannelEndpoint Link { get; }

    public NetworkStack Stack { get; }

    public Nic Nic { get; }

    public Ipv4Protocol Ip { get; }

    public ArpProtocol Arp { get; }

    public FakeUdpProtocol Udp { get; } = new();

    /// <summary>Registers a recording endpoint on UDP <paramref name="port"/> of <paramref name="local"/> (wildcard by default).</summary>
    public RecordingEndpoint Listen(ushort port, Address local = default, ushort remotePort = 0, Address remote = default)
    {
        var ep = new RecordingEndpoint();
        var id = new TransportEndpointId(port, local.IsEmpty ? Address.AnyV4 : local, remotePort, remote);
        Assert.Equal(TcpipError.None, Stack.Demuxer.Register(17, id, ep));
        return ep;
    }

    /// <summary>Delivers an IP packet (framed in Ethernet to our MAC on an Ethernet link).</summary>
    public void Inject(byte[] ipPacket, LinkAddress? destinationMac = null)
    {
        var frame = Link.IsEthernet
            ? TestPackets.Ethernet(destinationMac ?? OurMac, PeerMac, NetworkProtocolNumber.IPv4, ipPacket)
            : ipPacket;
        Link.InjectFrame(frame);
    }

    /// <summary>Delivers a raw frame as it is.</summary>
    public void InjectFrame(byte[] frame) => Link.InjectFrame(frame);

    /// <summary>The next frame the stack wrote (link header included), or null.</summary>
    public byte[]? Read()
    {
        var p = Link.TryReadOutbound();
        if (p is null)
        {
            return null;
        }
        try
        {
            return p.ToArray();
        }
        finally
        {
            p.Release();
        }
    }

    /// <summary>Every frame written so far.</summary>
    public List<byte[]> ReadAll()
    {
        var list = new List<byte[]>();
        while (Read() is { } f)
        {
            list.Add(f);
        }
        return list;
    }

    /// <summary>The next frame's IP packet (Ethernet header stripped on an Ethernet link).</summary>
    public byte[]? ReadIp()
    {
        var f = Read();
        return f is null ? null : Link.IsEthernet ? f[14..] : f;
    }

    /// <summary>Waits for the next frame (for traffic that crosses the loopback thread).</summary>
    public byte[] ReadWithin(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var p = Link.ReadOutboundAsync(cts.Token).AsTask().GetAwaiter().GetResult();
        try
        {
            return p.ToArray();
        }
        finally
        {
            p.Release();
        }
    }

    /// <summary>Sends a UDP-shaped payload through the IP layer towards <paramref name="remote"/>.</summary>
    public WriteResult Send(Address remote, byte[] transportBytes, NetworkHeaderParams? parameters = null, int count = 1)
    {
        Assert.Equal(TcpipError.None, Stack.FindRoute(remote, out var route));
        var packets = new PacketBuffer[count];
        for (int i = 0; i < count; i++)
        {
            packets[i] = PacketBuffer.Rent(route!.MaxHeaderLength, transportBytes);
        }
        try
        {
            return route!.WritePackets(packets, parameters ?? new NetworkHeaderParams(17));
        }
        finally
        {
            foreach (var p in packets)
            {
                p.Release();
            }
        }
    }

    public void Dispose()
    {
        Stack.Dispose();
        Link.Dispose();
    }
}
