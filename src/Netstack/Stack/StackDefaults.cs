using Netstack.Network.Arp;
using Netstack.Network.IPv4;

namespace Netstack.Stack;

/// <summary>The protocols a <see cref="NetworkStack"/> runs unless <see cref="StackOptions"/> says otherwise.</summary>
public static class StackDefaults
{
    /// <summary>IPv4 with ARP, and IPv6 with NDP.</summary>
    public static IReadOnlyList<Func<NetworkStack, INetworkProtocol>> NetworkProtocols { get; } =
    [
        static s => new Ipv4Protocol(s),
        static s => new ArpProtocol(s),
    ];

    /// <summary>UDP and TCP.</summary>
    public static IReadOnlyList<Func<NetworkStack, ITransportProtocol>> TransportProtocols { get; } =
    [
        static stack => new Netstack.Transport.Tcp.TcpProtocol(stack),
    ];
}
