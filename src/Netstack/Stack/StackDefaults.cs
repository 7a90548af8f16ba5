using Netstack.Network.Arp;
using Netstack.Network.IPv4;
using Netstack.Network.IPv6;
using Netstack.Transport.Udp;

namespace Netstack.Stack;

/// <summary>The protocols a <see cref="NetworkStack"/> runs unless <see cref="StackOptions"/> says otherwise.</summary>
public static class StackDefaults
{
    /// <summary>IPv4 with ARP, and IPv6 with NDP.</summary>
    public static IReadOnlyList<Func<NetworkStack, INetworkProtocol>> NetworkProtocols { get; } =
    [
        static s => new Ipv4Protocol(s),
        static s => new ArpProtocol(s),
        static s => new Ipv6Protocol(s),
    ];

    /// <summary>UDP and TCP.</summary>
    public static IReadOnlyList<Func<NetworkStack, ITransportProtocol>> TransportProtocols { get; } =
    [
        stack => new UdpProtocol(stack),
        static stack => new Netstack.Transport.Tcp.TcpProtocol(stack),
    ];
}
