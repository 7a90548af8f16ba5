using System.Net;
using System.Net.Sockets;
using Netstack.Link.Channel;
using Netstack.Network.Arp;
using Netstack.Network.IPv4;
using Netstack.Network.IPv6;
using Netstack.Sockets;
using Netstack.Stack;
using Netstack.Transport.Udp;
using PacketDotNet;

namespace Netstack.Tests.Transport.Udp;

/// <summary>
/// UDP through the real IPv4/ARP and IPv6/NDP of two stacks on an in-memory Ethernet cable: neighbour
/// resolution, fragmentation and reassembly, and ICMP errors all happen for real.
/// </summary>
public sealed class UdpEndToEndTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Host _a = new(1, "10.0.0.1/24", "fd00::1/64");
    private readonly Host _b = new(2, "10.0.0.2/24", "fd00::2/64");
    private readonly ChannelLink _cable;
    private readonly System.Collections.Concurrent.ConcurrentQueue<byte[]> _frames = new();

    public UdpEndToEndTests()
    {
        _cable = new ChannelLink(_a.Link, _b.Link, (_, frame) =>
        {
            _frames.Enqueue(frame.ToArray());
            return true;
        });
    }

    public void Dispose()
    {
        _cable.Dispose();
        _a.Dispose();
        _b.Dispose();
    }

    public static TheoryData<AddressFamily, int> FamiliesAndSizes => new()
    {
        { AddressFamily.InterNetwork, 100 },
        { AddressFamily.InterNetwork, 4000 },
        { AddressFamily.InterNetwork, UdpProtocol.MaxIPv4Payload },
        { AddressFamily.InterNetworkV6, 100 },
        { AddressFamily.InterNetworkV6, 4000 },
        { AddressFamily.InterNetworkV6, UdpProtocol.MaxIPv6Payload },
    };

    [Theory]
    [MemberData(nameof(FamiliesAndSizes))]
    public async Task EchoBothWays(AddressFamily family, int size)
    {
        bool v4 = family == AddressFamily.InterNetwork;
        var serverAddress = IPAddress.Parse(v4 ? "10.0.0.2" : "fd00::2");
        await using var server = new UdpSocket(_b.Stack, new IPEndPoint(v4 ? IPAddress.Any : IPAddress.IPv6Any, 7));
        await using var client = new UdpSocket(_a.Stack, family);
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            var r = await server.ReceiveFromAsync(buffer);
            await server.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), r.RemoteEndPoint);
        });
        await client.SendToAsync(payload, new IPEndPoint(serverAddress, 7));
        var reply = new byte[65536];
        var got = await client.ReceiveFromAsync(reply).AsTask().WaitAsync(Timeout);
        await echo.WaitAsync(Timeout);
        Assert.Equal(size, got.ReceivedBytes);
        Assert.Equal(payload, reply[..size]);
        Assert.Equal(new IPEndPoint(serverAddress, 7), got.RemoteEndPoint);
        // Every UDP datagram that crossed the cable checks out with an independent decoder.
        int checkedDatagrams = 0;
        foreach (var frame in _frames)
        {
            var udp = Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<UdpPacket>();
            if (udp is not null && !IsFragment(frame))
            {
                Assert.True(udp.ValidUdpChecksum);
                checkedDatagrams++;
            }
        }
        if (size <= 1400)
        {
            Assert.Equal(2, checkedDatagrams);
        }
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork, "10.0.0.2")]
    [InlineData(AddressFamily.InterNetworkV6, "fd00::2")]
    public async Task PortUnreachableFromThePeerIsConnectionRefused(AddressFamily family, string peer)
    {
        await using var client = new UdpSocket(_a.Stack, family);
        client.Connect(new IPEndPoint(IPAddress.Parse(peer), 9));
        var receive = client.ReceiveAsync(new byte[16]).AsTask();
        client.Send("anyone there?"u8);
        var e = await Assert.ThrowsAsync<SocketException>(() => receive.WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Equal(1, _b.Udp.Stats.NoPort.Value);
    }

    [Fact]
    public async Task MulticastReachesJoinedSocketsOnly()
    {
        var group = IPAddress.Parse("239.0.0.7");
        await using var member = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 5000));
        member.JoinMulticastGroup(group);
        await using var sender = new UdpSocket(_a.Stack);
        sender.SendTo("to the group"u8, new IPEndPoint(group, 5000));
        var m = await member.ReceiveMessageFromAsync(new byte[64]).AsTask().WaitAsync(Timeout);
        Assert.Equal(Address.FromIPAddress(group), m.LocalAddress);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), m.RemoteEndPoint.Address);
        member.DropMulticastGroup(group);
        sender.SendTo("again"u8, new IPEndPoint(group, 5000));
        await Task.Delay(100);
        Assert.Equal(0, member.Available);
    }

    [Fact]
    public async Task IPv6MulticastToLinkScopeGroup()
    {
        var group = IPAddress.Parse("ff02::1:3");
        await using var member = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.IPv6Any, 5355));
        member.JoinMulticastGroup(1, group);
        await using var sender = new UdpSocket(_a.Stack, AddressFamily.InterNetworkV6);
        sender.SendTo("llmnr"u8, new IPEndPoint(group, 5355));
        var r = await member.ReceiveFromAsync(new byte[64]).AsTask().WaitAsync(Timeout);
        Assert.Equal(5, r.ReceivedBytes);
    }

    [Fact]
    public async Task BroadcastReachesWildcardSockets()
    {
        await using var listener = new UdpSocket(_b.Stack, new IPEndPoint(IPAddress.Any, 6000));
        await using var sender = new UdpSocket(_a.Stack) { EnableBroadcast = true };
        sender.SendTo("hello all"u8, new IPEndPoint(IPAddress.Parse("10.0.0.255"), 6000));
        var m = await listener.ReceiveMessageFromAsync(new byte[64]).AsTask().WaitAsync(Timeout);
        Assert.Equal(Address.Parse("10.0.0.255"), m.LocalAddress);
        // 255.255.255.255 leaves by the NIC of the bound address (there is no route for it).
        await using var bound = new UdpSocket(_a.Stack, new IPEndPoint(IPAddress.Parse("10.0.0.1"), 0)) { EnableBroadcast = true };
        bound.SendTo("limited"u8, new IPEndPoint(IPAddress.Broadcast, 6000));
        m = await listener.ReceiveMessageFromAsync(new byte[64]).AsTask().WaitAsync(Timeout);
        Assert.Equal(Address.BroadcastV4, m.LocalAddress);
    }

    private static bool IsFragment(byte[] frame)
    {
        var ip = Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<IPPacket>();
        return ip switch
        {
            IPv4Packet v4 => v4.FragmentOffset != 0 || (v4.FragmentFlags & 1) != 0,
            IPv6Packet v6 => v6.NextHeader == PacketDotNet.ProtocolType.IPv6FragmentHeader,
            _ => false,
        };
    }

    private sealed class Host : IDisposable
    {
        public Host(int index, string v4, string v6)
        {
            Stack = new NetworkStack(new StackOptions
            {
                NetworkProtocols =
                [
                    s => new Ipv4Protocol(s),
                    s => new ArpProtocol(s),
                    s => new Ipv6Protocol(s, new Ipv6Options { DupAddrDetectTransmits = 0, MaxRouterSolicitations = 0 }),
                ],
            });
            Link = new ChannelEndpoint(1500, LinkAddress.Parse($"02:00:00:00:00:0{index}"));
            Stack.CreateNic(1, Link);
            Stack.AddAddress(1, AddressWithPrefix.Parse(v4));
            Stack.AddAddress(1, AddressWithPrefix.Parse(v6));
            Udp = UdpProtocol.Of(Stack);
        }

        public NetworkStack Stack { get; }

        public ChannelEndpoint Link { get; }

        public UdpProtocol Udp { get; }

        public void Dispose()
        {
            Stack.Dispose();
            Link.Dispose();
        }
    }
}
