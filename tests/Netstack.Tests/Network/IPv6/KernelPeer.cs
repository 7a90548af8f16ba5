using Netstack.Buffers;
using Netstack.Link.FdBased;
using Netstack.Link.PacketSocket;
using Netstack.Link.Tun;
using Netstack.Network.IPv6;
using Netstack.Stack;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Network.IPv6;

/// <summary>How our stack meets the kernel.</summary>
internal enum PeerLink
{
    /// <summary>A TUN device: IP packets, no link layer.</summary>
    Tun,
    /// <summary>A TAP device: Ethernet frames.</summary>
    Tap,
    /// <summary>An AF_PACKET socket on one end of a veth pair; the kernel has the other end.</summary>
    Veth,
}

/// <summary>
/// Our stack on a TUN or TAP device, or on a veth end through AF_PACKET, in a namespace made for one test,
/// with the kernel on the other side (address fd00::1/64, configured without DAD). Removes everything.
/// </summary>
internal sealed class KernelPeer : IDisposable
{
    public static readonly LinkAddress OurMac = LinkAddress.Parse("02:00:00:00:06:02");
    public static readonly Address KernelAddress = Address.Parse("fd00::1");
    public static readonly Address OurAddress = Address.Parse("fd00::2");

    private readonly IDisposable? _device;
    private readonly FdBasedEndpoint? _endpoint;

    public KernelPeer(PeerLink link, int mtu = 1500, Ipv6Options? options = null, Action<NetNamespace>? configureKernel = null,
        PacketDispatchMode dispatch = PacketDispatchMode.RecvMmsg, bool awaitDad = true)
    {
        Namespace = new NetNamespace();
        try
        {
            int fd;
            var mac = OurMac;
            if (link == PeerLink.Veth)
            {
                // The kernel keeps vb; our stack owns va through AF_PACKET (the kernel's IPv6 on va stays off).
                _ = new VethPair(Namespace, mtu);
                Device = VethPair.B;
                mac = VethPair.MacA;
                Namespace.Check($"sysctl -qw net.ipv6.conf.{VethPair.B}.disable_ipv6=0");
                var socket = Namespace.Enter(() => PacketSocket.Open(VethPair.A));
                _device = socket;
                fd = socket.Fd;
            }
            else
            {
                Device = link == PeerLink.Tun ? "nst6" : "nstap6";
                var device = Namespace.Enter(() => TunInterface.Open(Device, link == PeerLink.Tun ? TunMode.Tun : TunMode.Tap));
                _device = device;
                fd = device.Fd;
                Namespace.Check($"ip link set {Device} mtu {mtu}");
                Namespace.Check($"ip link set {Device} up");
            }
            Namespace.Check($"ip -6 addr add {KernelAddress}/64 dev {Device} nodad");
            configureKernel?.Invoke(Namespace);
            Mac = link == PeerLink.Tun ? default : mac;
            _endpoint = new FdBasedEndpoint(new FdBasedEndpointOptions
            {
                Fds = [fd],
                Mtu = mtu,
                EthernetHeader = link != PeerLink.Tun,
                Address = Mac,
                PacketDispatchMode = dispatch,
            });
            Stack = new NetworkStack(new StackOptions
            {
                NetworkProtocols = [s => Ip = new Ipv6Protocol(s, options)],
                TransportProtocols = [],
            });
            Nic = Stack.CreateNic(1, _endpoint);
            Stack.AddAddress(1, new AddressWithPrefix(OurAddress, 64));
            // Duplicate address detection (not on TUN) takes a second.
            Assert.True(!awaitDad || SpinWait.SpinUntil(() => Nic.Addresses.All(a => a.State == AddressState.Assigned), TimeSpan.FromSeconds(5)),
                string.Join(", ", Nic.Addresses));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetNamespace Namespace { get; }

    /// <summary>The kernel's device.</summary>
    public string Device { get; } = "";

    /// <summary>Our MAC (empty on TUN).</summary>
    public LinkAddress Mac { get; }

    public NetworkStack Stack { get; } = null!;

    public Ipv6Protocol Ip { get; private set; } = null!;

    public Nic Nic { get; } = null!;

    /// <summary>Sends a UDP datagram (checksummed) from our stack through the route it finds.</summary>
    public TcpipError SendUdp(Address destination, ushort port, byte[] data)
    {
        var error = Stack.FindRoute(destination, out var route, nicId: destination.IsLinkLocalUnicast ? 1 : 0);
        if (error != TcpipError.None)
        {
            return error;
        }
        var packet = PacketBuffer.Rent(route!.MaxHeaderLength, V6Packets.Udp(route.LocalAddress, destination, 40000, port, data));
        try
        {
            return route.WritePacket(packet, new NetworkHeaderParams(17));
        }
        finally
        {
            packet.Release();
        }
    }

    public void Dispose()
    {
        Stack?.Dispose();
        _endpoint?.Dispose();
        _device?.Dispose();
        Namespace.Dispose();
    }
}
