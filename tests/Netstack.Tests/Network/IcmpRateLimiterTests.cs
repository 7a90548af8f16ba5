using Microsoft.Extensions.Time.Testing;
using Netstack.Link.Channel;
using Netstack.Network;
using Netstack.Network.IPv4;
using Netstack.Network.IPv6;
using Netstack.Stack;
using Netstack.Tests.Network.IPv4;
using Netstack.Tests.Network.IPv6;

namespace Netstack.Tests.Network;

public sealed class IcmpRateLimiterTests
{
    [Fact]
    public void TheBucketStartsFullRefillsAtTheRateAndNeverBeyondTheBurst()
    {
        var time = new FakeTimeProvider();
        var limiter = new IcmpRateLimiter(time, perSecond: 10, burst: 3);
        Assert.Equal(3, Take(limiter, 10));
        time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(2, Take(limiter, 10));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, Take(limiter, 10));
    }

    [Fact]
    public void ARateOfZeroMeansNoLimit()
    {
        var limiter = new IcmpRateLimiter(new FakeTimeProvider(), perSecond: 0, burst: 1);
        Assert.Equal(1000, Take(limiter, 1000));
    }

    [Fact]
    public void IPv4AndIPv6HaveABudgetEach()
    {
        // Decision (ARCHITECTURE.md): one bucket per protocol, each set by its own options, so a flood of one
        // family cannot silence the other's errors. Linux shares icmp_msgs_per_sec between the two.
        var time = new FakeTimeProvider();
        using var link = new ChannelEndpoint();
        var udp = new FakeUdpProtocol();
        using var stack = new NetworkStack(new StackOptions
        {
            TimeProvider = time,
            NetworkProtocols =
            [
                s => new Ipv4Protocol(s, new Ipv4ProtocolOptions { IcmpErrorsPerSecond = 1, IcmpErrorBurst = 2 }),
                Ipv6Protocol.Factory(new Ipv6Options { IcmpErrorsPerSecond = 1, IcmpErrorBurst = 2, DupAddrDetectTransmits = 0 }),
            ],
            TransportProtocols = [_ => udp],
        });
        stack.CreateNic(1, link);
        stack.AddAddress(1, AddressWithPrefix.Parse("10.0.0.2/24"));
        stack.AddAddress(1, AddressWithPrefix.Parse("2001:db8::2/64"));
        var v4 = Address.Parse("10.0.0.1");
        var v6 = Address.Parse("2001:db8::1");
        for (int i = 0; i < 5; i++)
        {
            link.InjectFrame(TestPackets.Ipv4(v4, Address.Parse("10.0.0.2"), 17, TestPackets.UdpSegment(5000, 9, [1])));
        }
        Assert.Equal(2, link.DrainOutbound());
        for (int i = 0; i < 5; i++)
        {
            var to = Address.Parse("2001:db8::2");
            link.InjectFrame(V6Packets.Ipv6(v6, to, 17, V6Packets.Udp(v6, to, 5000, 9, [1])));
        }
        Assert.Equal(2, link.DrainOutbound());
        var ip4 = (Ipv4Protocol)stack.GetNetworkProtocol(NetworkProtocolNumber.IPv4)!;
        var ip6 = (Ipv6Protocol)stack.GetNetworkProtocol(NetworkProtocolNumber.IPv6)!;
        Assert.Equal(3, ip4.IcmpStats.ErrorsRateLimited.Value);
        Assert.Equal(3, ip6.IcmpStats.ErrorsRateLimited.Value);
    }

    private static int Take(IcmpRateLimiter limiter, int attempts)
    {
        int taken = 0;
        for (int i = 0; i < attempts; i++)
        {
            taken += limiter.TryTake() ? 1 : 0;
        }
        return taken;
    }
}
