using Netstack.Buffers;
using Netstack.Link.Channel;
using Netstack.Link.FaultInjection;

namespace Netstack.Tests.Link.FaultInjection;

/// <summary>Determinism, direction independence, release of held packets, and the real clock.</summary>
public class FaultLifecycleTests
{
    private static readonly DirectionFaults Mix = new()
    {
        DropProbability = 0.1,
        DuplicateProbability = 0.05,
        ReorderProbability = 0.05,
        CorruptProbability = 0.05,
    };

    // What came out of the inbound side for 500 packets, as (seq-or-corrupt marker) strings.
    private static List<string> Trace(FaultOptions options, bool interleaveOutbound = false)
    {
        using var h = new FaultHarness(options);
        for (int i = 0; i < 500; i++)
        {
            h.Inject(i);
            if (interleaveOutbound)
            {
                h.Send(i);
                h.TakeSent();
            }
        }
        h.Advance(20);
        return h.Sink.Deliveries.Select(d => FaultHarness.ChecksumsValid(d.Bytes) ? $"{FaultHarness.SeqOf(d.Bytes)}" : Convert.ToHexString(d.Bytes)).ToList();
    }

    [Fact]
    public void TheSameSeedGivesTheSameFaultsAndAnotherSeedOthers()
    {
        var a = Trace(new FaultOptions { Inbound = Mix, Seed = 1234 });
        var b = Trace(new FaultOptions { Inbound = Mix, Seed = 1234 });
        var c = Trace(new FaultOptions { Inbound = Mix, Seed = 1235 });
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void AFaultsPatternDoesNotDependOnOtherFaultsOrTheOtherDirection()
    {
        var dropOnly = Trace(new FaultOptions { Inbound = new DirectionFaults { DropProbability = 0.1 }, Seed = 9 });
        var withOthers = Trace(new FaultOptions { Inbound = new DirectionFaults { DropProbability = 0.1, CorruptProbability = 0.5 }, Seed = 9 });
        // Corruption changes bytes, not which packets are lost: compare the surviving positions.
        Assert.Equal(dropOnly.Count, withOthers.Count);
        for (int i = 0; i < dropOnly.Count; i++)
        {
            Assert.True(withOthers[i] == dropOnly[i] || withOthers[i].Length > 8, $"delivery {i}: {withOthers[i]} instead of {dropOnly[i]}");
        }
        var busyOutbound = Trace(new FaultOptions { Inbound = Mix, Outbound = Mix, Seed = 5 }, interleaveOutbound: true);
        var quietOutbound = Trace(new FaultOptions { Inbound = Mix, Outbound = Mix, Seed = 5 });
        Assert.Equal(quietOutbound, busyOutbound);
    }

    [Fact]
    public void DirectionsAreConfiguredIndependently()
    {
        var options = FaultOptions.Parse("in.drop=100%,out.dup=100%,seed=1");
        using var h = new FaultHarness(options);
        for (int i = 0; i < 10; i++)
        {
            h.Inject(i);
            h.Send(i);
        }
        Assert.Equal(0, h.Sink.Count);
        Assert.Equal(20, h.TakeSent().Count);
        Assert.Equal(10, h.Endpoint.InboundStats.DroppedRandom.Value);
        Assert.Equal(0, h.Endpoint.InboundStats.Duplicated.Value);
        Assert.Equal(10, h.Endpoint.OutboundStats.Duplicated.Value);
        Assert.Equal(0, h.Endpoint.OutboundStats.DroppedRandom.Value);
    }

    [Fact]
    public void BothDirectionsWithTheSameSettingsDrawFromDifferentStreams()
    {
        using var h = new FaultHarness(FaultOptions.ForBoth(new DirectionFaults { DropProbability = 0.5 }, seed: 3));
        for (int i = 0; i < 200; i++)
        {
            h.Inject(i);
            h.Send(i);
        }
        Assert.NotEqual(h.Sink.Seqs, h.TakeSent().Select(FaultHarness.SeqOf).ToList());
    }

    [Fact]
    public void AnUnseededEndpointReportsTheSeedItPicked()
    {
        using var h1 = new FaultHarness(new FaultOptions { Inbound = Mix });
        using var h2 = new FaultHarness(new FaultOptions { Inbound = Mix, Seed = h1.Endpoint.Seed });
        for (int i = 0; i < 300; i++)
        {
            h1.Inject(i);
            h2.Inject(i);
        }
        Assert.Equal(h1.Sink.Seqs.Count, h2.Sink.Seqs.Count);
    }

    [Fact]
    public void DisposeReleasesEveryHeldPacketExactlyOnce()
    {
        var h = new FaultHarness(FaultOptions.ForBoth(new DirectionFaults
        {
            Delay = TimeSpan.FromSeconds(1),
            ReorderProbability = 0.3,
            DuplicateProbability = 0.3,
            CorruptProbability = 0.3,
        }, seed: 11));
        var senders = new List<PacketBuffer>();
        for (int i = 0; i < 50; i++)
        {
            h.Inject(i);
            var pkt = h.Outbound(i);
            Assert.True(h.Endpoint.WritePackets([pkt]).Ok);
            senders.Add(pkt);
        }
        int held = h.Endpoint.HeldPackets;
        Assert.True(held >= 100, $"{held} held");
        Assert.True(h.Pool.Outstanding > 50);
        h.Endpoint.Dispose();
        Assert.Equal(0, h.Endpoint.HeldPackets);
        Assert.Equal(held, h.Endpoint.InboundStats.DroppedDetached.Value + h.Endpoint.OutboundStats.DroppedDetached.Value);
        Assert.All(senders, p => Assert.Equal(1, p.ReferenceCount)); // the sender's own reference only
        senders.ForEach(p => p.Release());
        h.Advance(2000); // nothing fires after dispose
        Assert.Equal(0, h.Sink.Count);
        Assert.Empty(h.TakeSent());
        Assert.Equal(0, h.Pool.Outstanding);
        h.Dispose(); // a second dispose is harmless
    }

    [Fact]
    public void DetachReleasesHeldPacketsAndReattachWorksAgain()
    {
        using var h = new FaultHarness(FaultOptions.ForBoth(new DirectionFaults { Delay = TimeSpan.FromMilliseconds(10) }, seed: 1));
        h.Inject(1);
        h.Send(1);
        Assert.Equal(2, h.Endpoint.HeldPackets);
        h.Endpoint.Attach(null);
        Assert.False(h.Endpoint.IsAttached);
        Assert.False(h.Inner.IsAttached);
        Assert.Equal(0, h.Endpoint.HeldPackets);
        Assert.Equal(0, h.Pool.Outstanding);

        // Detached: sends that would wait are dropped, not parked forever.
        h.Send(2);
        Assert.Equal(0, h.Endpoint.HeldPackets);
        Assert.Equal(2, h.Endpoint.OutboundStats.DroppedDetached.Value);

        h.Endpoint.Attach(h.Sink);
        h.Inject(3);
        h.Send(3);
        h.Advance(10);
        Assert.Equal([3], h.Sink.Seqs);
        Assert.Equal([3], h.TakeSent().Select(FaultHarness.SeqOf));
    }

    [Fact]
    public void LeaveInnerOpenKeepsTheInnerEndpoint()
    {
        var inner = new ChannelEndpoint();
        new FaultInjectingEndpoint(inner, FaultOptions.None, leaveInnerOpen: true).Dispose();
        var pkt = PacketBuffer.Rent(0, FaultHarness.UdpPacket(1));
        Assert.True(inner.WritePackets([pkt]).Ok);
        Assert.Equal(1, inner.DrainOutbound());
        pkt.Release();
        inner.Dispose();
    }

    [Fact]
    public void InvalidOptionsAreRefusedAtConstruction()
    {
        var bad = new FaultOptions { Outbound = new DirectionFaults { DropProbability = 2 } };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new FaultInjectingEndpoint(new ChannelEndpoint(), bad));
        Assert.StartsWith("Outbound.DropProbability is 2; allowed 0..1 (a probability).", ex.Message);
    }

    [Fact]
    public void TheRealClockDeliversHeldPacketsFromItsTimerUnderConcurrentTraffic()
    {
        var options = FaultOptions.Parse("drop=5%,dup=5%,reorder=5%,corrupt=5%,delay=2ms±1ms,rate=200mbit,seed=77");
        using var h = new FaultHarness(options, time: TimeProvider.System);
        const int PerThread = 1500;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                if (t % 2 == 0)
                {
                    h.Inject(t * PerThread + i);
                }
                else
                {
                    h.Send(t * PerThread + i);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        int sent = 0;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (h.Endpoint.HeldPackets > 0 && DateTime.UtcNow < deadline)
        {
            sent += h.TakeSent().Count;
            Thread.Sleep(5);
        }
        sent += h.TakeSent().Count;
        Assert.Equal(0, h.Endpoint.HeldPackets);
        var inStats = h.Endpoint.InboundStats;
        var outStats = h.Endpoint.OutboundStats;
        Assert.Equal(2 * PerThread, inStats.Packets.Value);
        Assert.Equal(2 * PerThread, outStats.Packets.Value);
        // Every packet that entered left, was dropped, or was duplicated: nothing vanished or leaked.
        Assert.Equal(inStats.Packets.Value + inStats.Duplicated.Value - inStats.Sum("drop_"), inStats.Passed.Value);
        Assert.Equal(outStats.Packets.Value + outStats.Duplicated.Value - outStats.Sum("drop_"), outStats.Passed.Value);
        Assert.Equal(inStats.Passed.Value, h.Sink.Count);
        Assert.Equal(outStats.Passed.Value, sent);
        Assert.True(inStats.Delayed.Value > 0 && outStats.Delayed.Value > 0);
    }
}
