using Netstack.Link.FaultInjection;

namespace Netstack.Tests.Link.FaultInjection;

/// <summary>Delay, jitter, reorder and the rate limiter, driven by a fake clock (no wall-clock assertions).</summary>
public class TimingFaultTests
{
    public static TheoryData<bool> Directions => new() { true, false };

    private static FaultOptions For(bool inbound, DirectionFaults f) =>
        inbound ? new FaultOptions { Inbound = f, Seed = 7 } : new FaultOptions { Outbound = f, Seed = 7 };

    private static FaultStats Stats(FaultHarness h, bool inbound) => inbound ? h.Endpoint.InboundStats : h.Endpoint.OutboundStats;

    private static void Offer(FaultHarness h, bool inbound, int seq, int size = 100)
    {
        if (inbound)
        {
            h.Inject(seq, size);
        }
        else
        {
            Assert.True(h.Send(seq, size).Ok);
        }
    }

    // Sequence numbers that came out since the last call.
    private static List<int> Take(FaultHarness h, bool inbound)
    {
        if (!inbound)
        {
            return h.TakeSent().Select(FaultHarness.SeqOf).ToList();
        }
        var seqs = h.Sink.Seqs;
        h.Sink.Clear();
        return seqs;
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void DelayHoldsEveryPacketForItsTimeAndKeepsOrder(bool inbound)
    {
        using var h = new FaultHarness(For(inbound, new DirectionFaults { Delay = TimeSpan.FromMilliseconds(10) }));
        Offer(h, inbound, 0);
        h.Advance(4);
        Offer(h, inbound, 1);
        Offer(h, inbound, 2);
        Assert.Equal(3, h.Endpoint.HeldPackets);
        h.Advance(5.9);
        Assert.Empty(Take(h, inbound));
        h.Advance(0.1); // t = 10 ms
        Assert.Equal([0], Take(h, inbound));
        h.Advance(3.9);
        Assert.Empty(Take(h, inbound));
        h.Advance(0.1); // t = 14 ms
        Assert.Equal([1, 2], Take(h, inbound));
        Assert.Equal(0, h.Endpoint.HeldPackets);
        Assert.Equal(3, Stats(h, inbound).Delayed.Value);
        Assert.Equal(3, Stats(h, inbound).Passed.Value);
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void JitterSpreadsDelaysWithinBoundsButNeverReorders(bool inbound)
    {
        using var h = new FaultHarness(For(inbound, new DirectionFaults { Delay = TimeSpan.FromMilliseconds(20), Jitter = TimeSpan.FromMilliseconds(10) }));
        var sentAt = new Dictionary<int, int>();
        var latency = new List<int>();
        var order = new List<int>();
        int seq = 0;
        // Sparse first (25 ms apart: no packet can catch up with the one before), then dense (1 ms apart).
        for (int t = 0; t < 3300; t++)
        {
            if ((t < 2500 && t % 25 == 0) || (t >= 2500 && t < 3200))
            {
                sentAt[seq] = t;
                Offer(h, inbound, seq++);
            }
            foreach (int s in Take(h, inbound))
            {
                order.Add(s);
                latency.Add(t - sentAt[s]);
            }
            h.Advance(1);
        }
        Assert.Equal(Enumerable.Range(0, seq), order);
        // Uniform in 10..30 ms (rounded up to the 1 ms timer) while packets are sparse.
        var sparse = latency.Take(100).ToList();
        Assert.All(sparse, l => Assert.InRange(l, 10, 31));
        Assert.InRange(sparse.Count(l => l < 15), 10, 45);
        Assert.InRange(sparse.Count(l => l > 25), 10, 45);
        // Dense packets queue behind earlier ones instead of overtaking them, so none is early.
        Assert.All(latency.Skip(100), l => Assert.InRange(l, 10, 31));
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void ReorderAtHundredPercentSwapsNeighbours(bool inbound)
    {
        using var h = new FaultHarness(For(inbound, new DirectionFaults { ReorderProbability = 1 }));
        for (int i = 0; i < 10; i++)
        {
            Offer(h, inbound, i);
        }
        Assert.Equal([1, 0, 3, 2, 5, 4, 7, 6, 9, 8], Take(h, inbound));
        Assert.Equal(5, Stats(h, inbound).Reordered.Value);
        Assert.Equal(0, h.Endpoint.HeldPackets);
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void ReorderInBetweenReallyReorders(bool inbound)
    {
        using var h = new FaultHarness(For(inbound, new DirectionFaults { ReorderProbability = 0.2 }));
        for (int i = 0; i < 2000; i++)
        {
            Offer(h, inbound, i);
        }
        h.Advance(20);
        var got = Take(h, inbound);
        Assert.Equal(Enumerable.Range(0, 2000), got.Order());
        int inversions = got.Zip(got.Skip(1)).Count(p => p.First > p.Second);
        long reordered = Stats(h, inbound).Reordered.Value;
        Assert.Equal(reordered, inversions);
        // A packet is held with p = 0.2 unless the slot is busy, so about 2000 * 0.2 / 1.2 swaps.
        Assert.InRange(reordered, 250, 420);
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void AHeldPacketWithNoFollowerGoesAfterTheHoldTime(bool inbound)
    {
        using var h = new FaultHarness(For(inbound, new DirectionFaults { ReorderProbability = 1, ReorderHold = TimeSpan.FromMilliseconds(25) }));
        Offer(h, inbound, 0);
        h.Advance(24);
        Assert.Empty(Take(h, inbound));
        h.Advance(1);
        Assert.Equal([0], Take(h, inbound));
        Assert.Equal(1, Stats(h, inbound).ReorderExpired.Value);
        Assert.Equal(0, Stats(h, inbound).Reordered.Value);
    }

    [Fact]
    public void AReorderedPacketStillRespectsTheDelayLine()
    {
        using var h = new FaultHarness(For(false, new DirectionFaults { ReorderProbability = 1, Delay = TimeSpan.FromMilliseconds(5) }));
        Offer(h, false, 0);
        Offer(h, false, 1);
        h.Advance(4);
        Assert.Empty(Take(h, false));
        h.Advance(1);
        Assert.Equal([1, 0], Take(h, false));
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void RateLimiterPacesPacketsAtTheConfiguredRate(bool inbound)
    {
        // 1000-byte packets at 1 Mbit/s: one every 8 ms.
        using var h = new FaultHarness(For(inbound, new DirectionFaults { RateBitsPerSecond = 1_000_000 }));
        for (int i = 0; i < 10; i++)
        {
            Offer(h, inbound, i, 1000);
        }
        var arrivals = new List<(int T, int Seq)>();
        for (int t = 0; t <= 100; t++)
        {
            arrivals.AddRange(Take(h, inbound).Select(s => (t, s)));
            h.Advance(1);
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (i * 8, i)), arrivals);
        Assert.Equal(9, Stats(h, inbound).RateLimited.Value);
    }

    [Fact]
    public void SustainedThroughputMatchesTheRate()
    {
        // 10 Mbit/s with 1250-byte packets: 1000 packets a second. Offer 3000 a second for 2 seconds.
        using var h = new FaultHarness(For(false, new DirectionFaults { RateBitsPerSecond = 10_000_000, QueueLimit = 1_000_000 }));
        int sent = 0;
        var perSecond = new int[4];
        for (int t = 0; t < 4000; t++)
        {
            if (t < 2000)
            {
                for (int k = 0; k < 3; k++)
                {
                    Offer(h, false, sent++, 1250);
                }
            }
            perSecond[t / 1000] += h.TakeSent().Count;
            h.Advance(1);
        }
        Assert.All(perSecond, n => Assert.InRange(n, 995, 1005));
    }

    [Fact]
    public void BurstLetsBytesThroughBackToBackAfterIdle()
    {
        using var h = new FaultHarness(For(false, new DirectionFaults { RateBitsPerSecond = 1_000_000, BurstBytes = 3000 }));
        for (int i = 0; i < 6; i++)
        {
            Offer(h, false, i, 1000);
        }
        // The burst allowance (24 ms of credit) lets four 8 ms packets go at once; the rest are paced.
        Assert.Equal([0, 1, 2, 3], Take(h, false));
        h.Advance(8);
        Assert.Equal([4], Take(h, false));
        h.Advance(8);
        Assert.Equal([5], Take(h, false));
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void ARateQueueBeyondItsLimitDrops(bool inbound)
    {
        using var h = new FaultHarness(For(inbound, new DirectionFaults { RateBitsPerSecond = 1_000_000, QueueLimit = 5 }));
        for (int i = 0; i < 20; i++)
        {
            Offer(h, inbound, i, 1000);
        }
        Assert.Equal(14, Stats(h, inbound).DroppedQueueFull.Value);
        h.Advance(1000);
        Assert.Equal([0, 1, 2, 3, 4, 5], Take(h, inbound).Order());
        // The queue drained, so it takes packets again.
        Offer(h, inbound, 20, 1000);
        Assert.Equal([20], Take(h, inbound));
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void ADelayLineBeyondItsLimitDrops(bool inbound)
    {
        using var h = new FaultHarness(For(inbound, new DirectionFaults { Delay = TimeSpan.FromMilliseconds(10), DelayLimit = 3 }));
        for (int i = 0; i < 10; i++)
        {
            Offer(h, inbound, i);
        }
        Assert.Equal(7, Stats(h, inbound).DroppedDelayLimit.Value);
        h.Advance(10);
        Assert.Equal([0, 1, 2], Take(h, inbound));
    }

    [Fact]
    public void RateAndDelayCombine()
    {
        using var h = new FaultHarness(For(false, new DirectionFaults { RateBitsPerSecond = 1_000_000, Delay = TimeSpan.FromMilliseconds(50) }));
        Offer(h, false, 0, 1000);
        Offer(h, false, 1, 1000);
        h.Advance(49);
        Assert.Empty(Take(h, false));
        h.Advance(1);
        Assert.Equal([0], Take(h, false));
        h.Advance(8);
        Assert.Equal([1], Take(h, false));
    }
}
