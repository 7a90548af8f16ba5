using System.Net;
using System.Net.Sockets;
using Netstack.Link.FdBased;
using Netstack.Link.Tun;
using Netstack.Network.Arp;
using Netstack.Network.IPv4;
using Netstack.Network.IPv6;
using Netstack.Sockets;
using Netstack.Stack;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Transport.Udp;

/// <summary>
/// UDP between our stack and the Linux kernel's own UDP sockets, through a TUN device in a namespace the test
/// creates: both directions, IPv4 and IPv6, datagrams the kernel and we fragment, and ICMP port unreachable
/// both ways. The kernel sockets are .NET sockets created inside the namespace.
/// </summary>
public sealed class UdpKernelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static TheoryData<AddressFamily, int, TunMode> Cases => new()
    {
        { AddressFamily.InterNetwork, 100, TunMode.Tun },
        { AddressFamily.InterNetwork, 4000, TunMode.Tun },
        { AddressFamily.InterNetworkV6, 100, TunMode.Tun },
        { AddressFamily.InterNetworkV6, 4000, TunMode.Tun },
        // On TAP the kernel and we resolve each other first (ARP, NDP).
        { AddressFamily.InterNetwork, 4000, TunMode.Tap },
        { AddressFamily.InterNetworkV6, 4000, TunMode.Tap },
    };

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task KernelSendsToUsAndGetsTheEcho(AddressFamily family, int size, TunMode mode)
    {
        using var host = new TunHost(mode);
        await using var server = new UdpSocket(host.Stack, new IPEndPoint(Any(family), 7));
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            var r = await server.ReceiveFromAsync(buffer);
            await server.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), r.RemoteEndPoint);
            return r;
        });
        using var kernel = host.KernelSocket(family);
        var payload = RandomBytes(size);
        kernel.SendTo(payload, new IPEndPoint(host.Ours(family), 7));
        var reply = new byte[65536];
        var got = await kernel.ReceiveFromAsync(reply.AsMemory(), new IPEndPoint(Any(family), 0)).AsTask().WaitAsync(Timeout);
        var request = await echo.WaitAsync(Timeout);
        Assert.Equal(size, got.ReceivedBytes);
        Assert.Equal(payload, reply[..size]);
        Assert.Equal(new IPEndPoint(host.Ours(family), 7), got.RemoteEndPoint);
        Assert.Equal(host.Kernels(family), ((IPEndPoint)request.RemoteEndPoint).Address);
        host.AssertKernelSawNoChecksumErrors();
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task WeSendToTheKernelAndGetItsEcho(AddressFamily family, int size, TunMode mode)
    {
        using var host = new TunHost(mode);
        using var kernel = host.KernelSocket(family);
        kernel.Bind(new IPEndPoint(host.Kernels(family), 9000));
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            var r = await kernel.ReceiveFromAsync(buffer.AsMemory(), new IPEndPoint(Any(family), 0));
            await kernel.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), r.RemoteEndPoint);
            return r.ReceivedBytes;
        });
        await using var client = new UdpSocket(host.Stack, family);
        var payload = RandomBytes(size);
        await client.SendToAsync(payload, new IPEndPoint(host.Kernels(family), 9000));
        var reply = new byte[65536];
        var got = await client.ReceiveFromAsync(reply).AsTask().WaitAsync(Timeout);
        Assert.Equal(size, await echo.WaitAsync(Timeout));
        Assert.Equal(size, got.ReceivedBytes);
        Assert.Equal(payload, reply[..size]);
        Assert.Equal(new IPEndPoint(host.Kernels(family), 9000), got.RemoteEndPoint);
        host.AssertKernelSawNoChecksumErrors();
    }

    [SkippableTheory]
    [InlineData(AddressFamily.InterNetwork, 100)]
    [InlineData(AddressFamily.InterNetwork, 4000)]
    [InlineData(AddressFamily.InterNetworkV6, 100)]
    [InlineData(AddressFamily.InterNetworkV6, 4000)]
    public async Task WithChecksumOffloadTheKernelCompletesOurPartialChecksum(AddressFamily family, int size)
    {
        // A TUN with the virtio-net header and TX checksum offload: a datagram that fits the MTU leaves with
        // the pseudo-header sum and NEEDS_CSUM (the kernel rejects a bad checksum start or offset); one the
        // network layer fragments gets its full checksum from us.
        using var host = new TunHost(TunMode.Tun, checksumOffload: true);
        using var kernel = host.KernelSocket(family);
        kernel.Bind(new IPEndPoint(host.Kernels(family), 9000));
        await using var client = new UdpSocket(host.Stack, family);
        var payload = RandomBytes(size);
        client.SendTo(payload, new IPEndPoint(host.Kernels(family), 9000));
        var buffer = new byte[65536];
        var got = await kernel.ReceiveFromAsync(buffer.AsMemory(), new IPEndPoint(Any(family), 0)).AsTask().WaitAsync(Timeout);
        Assert.Equal(payload, buffer[..got.ReceivedBytes]);
        host.AssertKernelSawNoChecksumErrors();
    }

    [SkippableTheory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task KernelPortUnreachableRefusesOurConnectedSocket(AddressFamily family)
    {
        using var host = new TunHost();
        await using var client = new UdpSocket(host.Stack, family);
        client.Connect(new IPEndPoint(host.Kernels(family), 9));
        var receive = client.ReceiveAsync(new byte[16]).AsTask();
        client.Send("is anyone there"u8);
        var e = await Assert.ThrowsAsync<SocketException>(() => receive.WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    [SkippableTheory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task OurPortUnreachableRefusesTheKernelsConnectedSocket(AddressFamily family)
    {
        using var host = new TunHost();
        using var kernel = host.KernelSocket(family);
        kernel.Connect(new IPEndPoint(host.Ours(family), 9));
        kernel.Send("is anyone there"u8);
        var e = await Assert.ThrowsAsync<SocketException>(() =>
            kernel.ReceiveAsync(new byte[16].AsMemory()).AsTask().WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Equal(1, UdpProtocol(host).Stats.NoPort.Value);
    }

    private static Netstack.Transport.Udp.UdpProtocol UdpProtocol(TunHost host) => Netstack.Transport.Udp.UdpProtocol.Of(host.Stack);

    private static IPAddress Any(AddressFamily family) => family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;

    private static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// A namespace whose TUN or TAP device (kernel side 192.0.2.1, 2001:db8::1) is our stack's NIC (192.0.2.2,
    /// 2001:db8::2).
    /// </summary>
    private sealed class TunHost : IDisposable
    {
        private const string Device = "nsu0";
        private readonly NetNamespace _ns;
        private readonly TunInterface _tun;
        private readonly FdBasedEndpoint _link;

        public TunHost(TunMode mode = TunMode.Tun, bool checksumOffload = false)
        {
            Privileges.RequireNetworkAdmin();
            _ns = new NetNamespace();
            try
            {
                _tun = _ns.Enter(() => TunInterface.Open(Device, mode, virtioHeader: checksumOffload));
                _ns.Check($"ip link set {Device} mtu 1500 up");
                _ns.Check($"ip addr add 192.0.2.1/24 dev {Device}");
                _ns.Check($"ip -6 addr add 2001:db8::1/64 dev {Device} nodad");
                // The kernel installs the local route of an IPv6 address from a work queue, even with nodad:
                // until then it drops what is sent to the address. Wait for it.
                var deadline = DateTime.UtcNow.AddSeconds(5);
                while (!_ns.Check("ip -6 route show table local 2001:db8::1").Output.Contains("2001:db8::1") && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(5);
                }
                bool tap = mode == TunMode.Tap;
                _link = new FdBasedEndpoint(new FdBasedEndpointOptions
                {
                    Fds = [_tun.Fd],
                    Mtu = 1500,
                    EthernetHeader = tap,
                    Address = tap ? LinkAddress.Parse("02:00:00:00:00:02") : default,
                    TxChecksumOffload = checksumOffload,
                });
                Stack = new NetworkStack(new StackOptions
                {
                    NetworkProtocols =
                    [
                        s => new Ipv4Protocol(s),
                        s => new ArpProtocol(s),
                        s => new Ipv6Protocol(s, new Ipv6Options { DupAddrDetectTransmits = 0, MaxRouterSolicitations = 0 }),
                    ],
                });
                Stack.CreateNic(1, _link);
                Stack.AddAddress(1, AddressWithPrefix.Parse("192.0.2.2/24"));
                Stack.AddAddress(1, AddressWithPrefix.Parse("2001:db8::2/64"));
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public NetworkStack Stack { get; } = null!;

        public IPAddress Ours(AddressFamily family) => IPAddress.Parse(family == AddressFamily.InterNetwork ? "192.0.2.2" : "2001:db8::2");

        public IPAddress Kernels(AddressFamily family) => IPAddress.Parse(family == AddressFamily.InterNetwork ? "192.0.2.1" : "2001:db8::1");

        /// <summary>A kernel UDP socket that lives in the namespace (created on a thread inside it).</summary>
        public Socket KernelSocket(AddressFamily family) => _ns.Enter(() => new Socket(family, SocketType.Dgram, ProtocolType.Udp));

        public void AssertKernelSawNoChecksumErrors()
        {
            var snmp = _ns.Check("cat /proc/net/snmp").Output.Split('\n').Where(l => l.StartsWith("Udp:", StringComparison.Ordinal)).ToArray();
            var names = snmp[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = snmp[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("0", values[Array.IndexOf(names, "InCsumErrors")]);
            Assert.Equal("0", values[Array.IndexOf(names, "InErrors")]);
            var snmp6 = _ns.Check("cat /proc/net/snmp6").Output;
            Assert.Matches(@"Udp6InCsumErrors\s+0\b", snmp6);
            Assert.Matches(@"Udp6InErrors\s+0\b", snmp6);
        }

        public void Dispose()
        {
            Stack?.Dispose();
            _link?.Dispose();
            _tun?.Dispose();
            _ns.Dispose();
        }
    }
}
