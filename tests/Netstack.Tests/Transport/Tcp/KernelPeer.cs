using System.Net;
using System.Net.Sockets;
using Netstack.Link.FaultInjection;
using Netstack.Link.FdBased;
using Netstack.Link.PacketSocket;
using Netstack.Link.Tun;
using Netstack.Network.Arp;
using Netstack.Network.IPv4;
using Netstack.Network.IPv6;
using Netstack.Stack;
using Netstack.Tests.Infrastructure;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>How the stack meets the kernel in a kernel interop test.</summary>
public enum KernelLink
{
    /// <summary>TUN without the virtio-net header.</summary>
    Tun,
    /// <summary>TUN with the virtio-net header: host GSO and checksum offload.</summary>
    TunVirtio,
    /// <summary>TAP (Ethernet, ARP, NDP).</summary>
    Tap,
    /// <summary>A veth pair, our end read with AF_PACKET.</summary>
    Veth,
}

/// <summary>
/// The kernel's own TCP as the peer: a namespace made for the test with a TUN, TAP or veth device holding
/// the kernel's addresses (198.18.0.1/24, fd42:ba5e::1/64), our stack on the other side (.2, ::2), and kernel
/// sockets created inside the namespace. Everything is removed on dispose.
/// </summary>
internal sealed class KernelPeer : IDisposable
{
    public static readonly IPAddress KernelV4 = IPAddress.Parse("198.18.0.1");
    public static readonly IPAddress StackV4 = IPAddress.Parse("198.18.0.2");
    public static readonly IPAddress KernelV6 = IPAddress.Parse("fd42:ba5e::1");
    public static readonly IPAddress StackV6 = IPAddress.Parse("fd42:ba5e::2");
    private static readonly LinkAddress StackMac = LinkAddress.Parse("02:00:c6:12:00:02");

    private readonly TunInterface? _tun;
    private readonly PacketSocket? _packet;

    public KernelPeer(KernelLink link, string? faults = null, TcpProtocolOptions? tcp = null)
    {
        Privileges.RequireNetworkAdmin();
        Namespace = new NetNamespace();
        try
        {
            string dev;
            var options = new FdBasedEndpointOptions { Mtu = 1500, PacketDispatchMode = PacketDispatchMode.RecvMmsg };
            switch (link)
            {
                case KernelLink.Tun:
                case KernelLink.TunVirtio:
                    dev = "nsk0";
                    bool virtio = link == KernelLink.TunVirtio;
                    _tun = Namespace.Enter(() => TunInterface.Open(dev, TunMode.Tun, virtio));
                    if (virtio)
                    {
                        _tun.EnableReceiveOffloads();
                    }
                    options = options with { Fds = [_tun.Fd], GsoMaxSize = virtio ? 65536 : 0, TxChecksumOffload = virtio, RxChecksumOffload = virtio };
                    break;
                case KernelLink.Tap:
                    dev = "nsk0";
                    _tun = Namespace.Enter(() => TunInterface.Open(dev, TunMode.Tap));
                    options = options with { Fds = [_tun.Fd], EthernetHeader = true, Address = StackMac };
                    break;
                default:
                    dev = "bpk";
                    Namespace.Check("ip link add bpk type veth peer name bpu");
                    Namespace.Check("ip link set bpu up");
                    Namespace.Run("sysctl -qw net.ipv6.conf.bpu.disable_ipv6=1");
                    // Whole, checksummed frames on the wire (as the harness does): AF_PACKET sees what the kernel queued.
                    Namespace.Run("ethtool -K bpk tx off tso off gso off gro off");
                    _packet = Namespace.Enter(() => PacketSocket.Open("bpu"));
                    var mac = LinkAddress.Parse(Namespace.Check("cat /sys/class/net/bpu/address").Output.Trim());
                    options = options with { Fds = [_packet.Fd], EthernetHeader = true, Address = mac };
                    break;
            }
            Device = dev;
            Namespace.Check($"ip addr add 198.18.0.1/24 dev {dev}");
            Namespace.Check($"ip addr add fd42:ba5e::1/64 dev {dev} nodad");
            Namespace.Check($"ip link set {dev} up");
            Stack = new NetworkStack(new StackOptions
            {
                NetworkProtocols = [s => new Ipv4Protocol(s), s => new ArpProtocol(s), s => new Ipv6Protocol(s, new Ipv6Options { DupAddrDetectTransmits = 0 })],
                TransportProtocols = [s => new TcpProtocol(s, tcp)],
            });
            Link = new FdBasedEndpoint(options);
            ILinkEndpoint nicLink = Link;
            if (faults is not null)
            {
                Faults = new FaultInjectingEndpoint(Link, FaultOptions.Parse(faults), leaveInnerOpen: true);
                nicLink = Faults;
            }
            Stack.CreateNic(1, nicLink);
            Stack.AddAddress(1, new AddressWithPrefix(Address.FromIPAddress(StackV4), 24));
            Stack.AddAddress(1, new AddressWithPrefix(Address.FromIPAddress(StackV6), 64));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetNamespace Namespace { get; }

    /// <summary>The kernel's device facing our stack (where nftables rules can hook its egress).</summary>
    public string Device { get; } = "";

    public NetworkStack Stack { get; } = null!;

    public FdBasedEndpoint Link { get; } = null!;

    public FaultInjectingEndpoint? Faults { get; }

    public TcpProtocol Tcp => TcpProtocol.From(Stack);

    /// <summary>A kernel TCP socket living in the test's namespace.</summary>
    public Socket KernelSocket(AddressFamily family) => Namespace.Enter(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp));

    /// <summary>Many kernel TCP sockets, made in one visit to the namespace.</summary>
    public Socket[] KernelSockets(AddressFamily family, int count) =>
        Namespace.Enter(() => Enumerable.Range(0, count).Select(_ => new Socket(family, SocketType.Stream, ProtocolType.Tcp)).ToArray());

    /// <summary>Our address of the family of <paramref name="v6"/>.</summary>
    public static IPAddress Ours(bool v6) => v6 ? StackV6 : StackV4;

    /// <summary>The kernel's address.</summary>
    public static IPAddress Kernels(bool v6) => v6 ? KernelV6 : KernelV4;

    public void Dispose()
    {
        Stack?.Dispose();
        Faults?.Dispose();
        Link?.Dispose();
        _tun?.Dispose();
        _packet?.Dispose();
        Namespace.Dispose();
    }
}
