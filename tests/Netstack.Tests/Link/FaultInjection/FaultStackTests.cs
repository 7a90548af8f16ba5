using Microsoft.Extensions.Time.Testing;
using Netstack.Link.Channel;
using Netstack.Link.FaultInjection;
using Netstack.Stack;

namespace Netstack.Tests.Link.FaultInjection;

/// <summary>The wrapper under a real <see cref="NetworkStack"/> NIC, which attaches and detaches it.</summary>
public class FaultStackTests
{
    [Fact]
    public void ANicOnTheWrapperReceivesDelayedPacketsAndRemovingItReleasesTheHeldOnes()
    {
        var time = new FakeTimeProvider();
        using var stack = new NetworkStack(new StackOptions { TimeProvider = time });
        var pool = new Netstack.Buffers.ChunkPool();
        var inner = new ChannelEndpoint();
        using var link = new FaultInjectingEndpoint(inner, FaultOptions.Parse("in.delay=5ms,seed=1"), time);
        var nic = stack.CreateNic(1, link);
        Assert.True(link.IsAttached);

        void Inject(int seq)
        {
            var pkt = Netstack.Buffers.PacketBuffer.Rent(0, FaultHarness.UdpPacket(seq), pool);
            Assert.True(inner.InjectFrame(pkt));
            pkt.Release();
        }

        Inject(1);
        Assert.Equal(0, nic.Stats.PacketsReceived.Value);
        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, nic.Stats.PacketsReceived.Value);

        Inject(2);
        Assert.Equal(1, link.HeldPackets);
        stack.RemoveNic(1);
        Assert.False(link.IsAttached);
        Assert.Equal(0, link.HeldPackets);
        Assert.Equal(0, pool.Outstanding);
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(1, nic.Stats.PacketsReceived.Value);
    }
}
