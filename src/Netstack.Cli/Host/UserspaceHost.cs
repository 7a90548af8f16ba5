using Netstack.Link.FaultInjection;
using Netstack.Link.FdBased;
using Netstack.Link.Sniffer;
using Netstack.Network.Arp;
using Netstack.Network.IPv4;
using Netstack.Network.IPv6;
using Netstack.Stack;
using Netstack.Stack.Counters;
using Netstack.Transport.Tcp;
using Netstack.Transport.Udp;

namespace Netstack.Cli.Host;

/// <summary>
/// A userspace host: one <see cref="NetworkStack"/> with one NIC over an fd-based link endpoint (wrapped in a
/// fault injector and a pcap sniffer when asked), its addresses and routes. <c>netstack up</c> runs one on a
/// device; <c>netstack demo</c> runs one (or two) in-process.
/// </summary>
internal sealed class UserspaceHost : IDisposable
{
    /// <summary>The NIC id of the host's only NIC.</summary>
    public const int NicId = 1;

    private readonly PcapWriter? _pcap;
    private int _disposed;

    private UserspaceHost(HostLink link, NetworkStack stack, FdBasedEndpoint endpoint, FaultInjectingEndpoint? faults, SniffingEndpoint? sniffer, PcapWriter? pcap)
    {
        Link = link;
        Stack = stack;
        Endpoint = endpoint;
        Faults = faults;
        Sniffer = sniffer;
        _pcap = pcap;
    }

    /// <summary>Raised once, on a reader thread, when the link's fd closes or fails (the device went away).</summary>
    public event Action<TcpipError>? LinkClosed;

    /// <summary>What the host runs on.</summary>
    public HostLink Link { get; }

    /// <summary>The stack.</summary>
    public NetworkStack Stack { get; }

    /// <summary>The fd-based endpoint (link counters).</summary>
    public FdBasedEndpoint Endpoint { get; }

    /// <summary>The fault injector, when faults were asked for.</summary>
    public FaultInjectingEndpoint? Faults { get; }

    /// <summary>The pcap sniffer, when a capture was asked for.</summary>
    public SniffingEndpoint? Sniffer { get; }

    /// <summary>The NIC (its counters stay readable after the host is disposed).</summary>
    public Nic Nic { get; private set; } = null!;

    /// <summary>The stack's counter groups worth showing: NIC, stack, IPv4, ICMPv4, ARP, IPv6, ICMPv6, UDP, TCP, faults.</summary>
    public IReadOnlyList<CounterGroup> CounterGroups
    {
        get
        {
            var groups = new List<CounterGroup> { Nic.Stats, Stack.Stats };
            if (Stack.GetNetworkProtocol(NetworkProtocolNumber.IPv4) is Ipv4Protocol v4)
            {
                groups.Add(v4.Stats);
                groups.Add(v4.IcmpStats);
            }
            if (Stack.GetNetworkProtocol(NetworkProtocolNumber.Arp) is ArpProtocol arp)
            {
                groups.Add(arp.Stats);
            }
            if (Stack.GetNetworkProtocol(NetworkProtocolNumber.IPv6) is Ipv6Protocol v6)
            {
                groups.Add(v6.Stats);
                groups.Add(v6.IcmpStats);
            }
            if (Stack.GetTransportProtocol(TransportProtocolNumber.Udp) is UdpProtocol udp)
            {
                groups.Add(udp.Stats);
            }
            if (Stack.GetTransportProtocol(TransportProtocolNumber.Tcp) is TcpProtocol tcp)
            {
                groups.Add(tcp.Stats);
            }
            if (Faults is not null)
            {
                groups.Add(Faults.InboundStats);
                groups.Add(Faults.OutboundStats);
            }
            return groups;
        }
    }

    /// <summary>
    /// Builds the host on <paramref name="link"/> and assigns <paramref name="addresses"/>; the NIC is
    /// enabled and answering when this returns (IPv6 addresses on Ethernet links after DAD, about 1 s).
    /// <paramref name="wrap"/> may put an endpoint of its own between the fd-based endpoint and the rest; the
    /// host disposes the fd-based endpoint itself, never the wrapper.
    /// </summary>
    /// <exception cref="ArgumentException">An option the endpoint refuses (the message names it).</exception>
    public static UserspaceHost Start(
        HostLink link,
        IReadOnlyList<AddressWithPrefix> addresses,
        IReadOnlyList<Address> gateways,
        FaultOptions? faults = null,
        string? pcapFile = null,
        bool duplicateAddressDetection = true,
        Func<ILinkEndpoint, ILinkEndpoint>? wrap = null)
    {
        var stack = new NetworkStack(new StackOptions
        {
            NetworkProtocols =
            [
                static s => new Ipv4Protocol(s),
                static s => new ArpProtocol(s),
                Ipv6Protocol.Factory(new Ipv6Options { DupAddrDetectTransmits = duplicateAddressDetection ? 1 : 0 }),
            ],
        });
        FdBasedEndpoint? endpoint = null;
        FaultInjectingEndpoint? injector = null;
        SniffingEndpoint? sniffer = null;
        PcapWriter? pcap = null;
        UserspaceHost? host = null;
        try
        {
            endpoint = new FdBasedEndpoint(new FdBasedEndpointOptions
            {
                Fds = link.Fds,
                Mtu = link.Mtu,
                EthernetHeader = link.Ethernet,
                Address = link.Ethernet ? link.Mac : LinkAddress.Empty,
                GsoMaxSize = link.GsoMaxSize,
                // With the virtio-net header the kernel finishes partial checksums (NEEDS_CSUM), so the stack need not.
                TxChecksumOffload = link.VirtioHeader,
                PacketDispatchMode = link.Dispatch,
                Name = link.Name,
                ClosedCallback = e => host?.OnLinkClosed(e),
            });
            ILinkEndpoint top = wrap is null ? endpoint : wrap(endpoint);
            if (faults is not null)
            {
                top = injector = new FaultInjectingEndpoint(top, faults, name: "faults", leaveInnerOpen: true);
            }
            if (pcapFile is not null)
            {
                pcap = new PcapWriter(File.Create(pcapFile), SniffingEndpoint.LinkTypeFor(top));
                top = sniffer = new SniffingEndpoint(top, pcap, leaveInnerOpen: true);
            }
            host = new UserspaceHost(link, stack, endpoint, injector, sniffer, pcap);
            host.Nic = stack.CreateNic(NicId, top, new NicOptions { Name = link.Name });
            foreach (var a in addresses)
            {
                stack.AddAddress(NicId, a);
            }
            foreach (var g in gateways)
            {
                stack.AddRoute(RouteEntry.Default(g, NicId));
            }
            if (link.PointToPoint)
            {
                AddPointToPointDefaults(stack, addresses, gateways);
            }
            return host;
        }
        catch
        {
            if (host is not null)
            {
                host.Dispose();
            }
            else
            {
                sniffer?.Dispose();
                injector?.Dispose();
                endpoint?.Dispose();
                pcap?.Dispose();
                stack.Dispose();
            }
            throw;
        }
    }

    // On a point-to-point link every destination is on the other side: a family with an address and no
    // gateway gets an on-link default route (as "ip route add default dev tun0"), so the host answers any
    // source the kernel routes to it.
    private static void AddPointToPointDefaults(NetworkStack stack, IReadOnlyList<AddressWithPrefix> addresses, IReadOnlyList<Address> gateways)
    {
        foreach (var any in new[] { Address.AnyV4, Address.AnyV6 })
        {
            if (addresses.Any(a => a.Address.Length == any.Length) && !gateways.Any(g => g.Length == any.Length))
            {
                stack.AddRoute(RouteEntry.OnLink(new Subnet(any, 0), NicId, metric: 1024));
            }
        }
    }

    private void OnLinkClosed(TcpipError error) => LinkClosed?.Invoke(error);

    /// <summary>Removes the NIC (the link's readers stop), then disposes the link chain, the capture and the stack.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (Stack.TryGetNic(NicId, out _))
        {
            Stack.RemoveNic(NicId);
        }
        Sniffer?.Dispose();
        Faults?.Dispose();
        Endpoint.Dispose();
        if (_pcap is not null)
        {
            _pcap.Flush();
            _pcap.Dispose();
        }
        Stack.Dispose();
    }
}
