using Netstack.Network.IPv6;
using Netstack.Tests.Fuzz;

namespace Netstack.Tests.Network.IPv6;

/// <summary>Regression tests for what fuzzing and review of the IPv6 receive path found.</summary>
public sealed class Ipv6HostileInputTests : IDisposable
{
    private readonly FuzzHost _host = new(ethernet: true, new FuzzLimits
    {
        Ipv6 = new Ipv6Options { MaxFragmentsPerPacket = 64 },
    });

    public void Dispose() => _host.Dispose();

    [Fact]
    public void UdpFromOurOwnAddressIsDropped()
    {
        foreach (var own in new[] { FuzzHost.Us6, FuzzHost.OurLinkLocal })
        {
            _host.Inject(_host.Frame(Wire.Ipv6(own, FuzzHost.Us6, Wire.Udp,
                Wire.UdpDatagram(own, FuzzHost.Us6, FuzzHost.EchoPort, FuzzHost.EchoPort, "loop"u8))));
            _host.Inject(_host.Frame(Wire.Ipv6(own, FuzzHost.Us6, Wire.Udp, Wire.UdpDatagram(own, FuzzHost.Us6, 9, 9999, "x"u8))));
            _host.Inject(_host.Frame(Wire.Ipv6(own, FuzzHost.Us6, Wire.Icmpv6, Wire.Icmp6(own, FuzzHost.Us6, 128, 0, 1, "ping"u8))));
        }
        Assert.Equal(6, _host.Ip6.Stats.DroppedBadAddress.Value);
        Assert.Equal(0, _host.Echo6.QueuedDatagrams);
        Assert.Equal(0, _host.Stack.Stats.LoopbackPackets.Value);
        Assert.Equal(0, _host.FramesOut);
    }
}
