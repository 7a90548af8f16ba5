using Netstack.Tests.Fuzz;
using Netstack.Transport.Udp;

namespace Netstack.Tests.Network.IPv4;

/// <summary>
/// A packet from the link that claims one of our own addresses as its source is a spoof (a "land" packet): a host
/// drops it (Linux: a martian source unless accept_local). Answering it would make the stack talk to itself through
/// the loopback path, and a UDP echo service would then echo its own datagrams forever.
/// </summary>
public sealed class OwnSourceAddressTests : IDisposable
{
    private readonly FuzzHost _host = new(ethernet: true, new FuzzLimits());

    public void Dispose() => _host.Dispose();

    [Fact]
    public void UdpFromOurOwnAddressIsDroppedAsAMartian()
    {
        long before = _host.Ip4.Stats.DroppedBadSource.Value;
        _host.Inject(_host.Frame(Wire.Ipv4(FuzzHost.Us4, FuzzHost.Us4, Wire.Udp,
            Wire.UdpDatagram(FuzzHost.Us4, FuzzHost.Us4, FuzzHost.EchoPort, FuzzHost.EchoPort, "loop"u8))));
        Assert.Equal(before + 1, _host.Ip4.Stats.DroppedBadSource.Value);
        Assert.Equal(0, _host.Echo4.QueuedDatagrams);
    }

    [Fact]
    public void ClosedPortFromOurOwnAddressSendsNoErrorToOurselves()
    {
        _host.Inject(_host.Frame(Wire.Ipv4(FuzzHost.Us4, FuzzHost.Us4, Wire.Udp,
            Wire.UdpDatagram(FuzzHost.Us4, FuzzHost.Us4, 9, 9999, "x"u8))));
        _host.Inject(_host.Frame(Wire.Ipv4(FuzzHost.Us4, FuzzHost.Us4, Wire.Icmpv4, Wire.Icmp4(8, 0, 1, "ping"u8))));
        Assert.Equal(0, _host.Stack.Stats.LoopbackPackets.Value);
        Assert.Equal(0, _host.Ip4.IcmpStats.ErrorsSent.Value);
        Assert.Equal(0, _host.Ip4.IcmpStats.EchoRepliesSent.Value);
    }

    [Fact]
    public void AnEchoServiceIsNotDrivenIntoALoopWithItself()
    {
        // The service answers every datagram to its sender, as `netstack up --serve udp-echo` does.
        using var stop = new CancellationTokenSource();
        long echoed = 0;
        var service = new Thread(() =>
        {
            var buffer = new byte[2048];
            while (!stop.IsCancellationRequested)
            {
                if (_host.Echo4.Read(buffer, out var result) == TcpipError.None)
                {
                    _host.Echo4.WriteTo(buffer.AsSpan(0, result.BytesCopied), result.Info.Remote);
                    Interlocked.Increment(ref echoed);
                }
                else
                {
                    Thread.Sleep(1);
                }
            }
        }) { IsBackground = true };
        service.Start();
        _host.Inject(_host.Frame(Wire.Ipv4(FuzzHost.Us4, FuzzHost.Us4, Wire.Udp,
            Wire.UdpDatagram(FuzzHost.Us4, FuzzHost.Us4, FuzzHost.EchoPort, FuzzHost.EchoPort, "loop"u8))));
        Thread.Sleep(300);
        stop.Cancel();
        service.Join();
        Assert.Equal(0, Interlocked.Read(ref echoed));
    }

    [Fact]
    public void PacketsWeSendToOurselvesStillArrive()
    {
        // The loopback path carries our own source address legitimately.
        var sender = _host.Udp.CreateEndpoint(NetworkProtocolNumber.IPv4);
        try
        {
            Assert.Equal(TcpipError.None, sender.WriteTo("self"u8, new FullAddress(FuzzHost.Us4, FuzzHost.EchoPort)));
            var buffer = new byte[16];
            var deadline = DateTime.UtcNow.AddSeconds(5);
            TcpipError error;
            UdpReadResult result;
            while ((error = _host.Echo4.Read(buffer, out result)) == TcpipError.WouldBlock && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(1);
            }
            Assert.Equal(TcpipError.None, error);
            Assert.Equal("self"u8.ToArray(), buffer[..result.BytesCopied]);
            Assert.Equal(FuzzHost.Us4, result.Info.Remote.Address);
        }
        finally
        {
            sender.Close();
        }
    }
}
