using Netstack.Link.FaultInjection;
using Netstack.Stack;

namespace Netstack.Tests.Link.FaultInjection;

/// <summary>Drop, duplicate, corrupt and max-size, each at 0, at 100% and in between, in both directions.</summary>
public class ProbabilityFaultTests
{
    private const int N = 2000;

    public static TheoryData<bool> Directions => new() { true, false };

    private static FaultOptions Inbound(DirectionFaults f) => new() { Inbound = f, Seed = 42 };

    private static FaultOptions Outbound(DirectionFaults f) => new() { Outbound = f, Seed = 42 };

    private static FaultOptions For(bool inbound, DirectionFaults f) => inbound ? Inbound(f) : Outbound(f);

    // Sends N packets in the chosen direction; returns what came out, in order.
    private static List<byte[]> Run(FaultHarness h, bool inbound, int count = N, int size = 100, int first = 0)
    {
        var result = new List<byte[]>();
        for (int i = first; i < first + count; i++)
        {
            if (inbound)
            {
                h.Inject(i, size);
            }
            else
            {
                Assert.Equal(new WriteResult(1, TcpipError.None), h.Send(i, size));
            }
        }
        if (inbound)
        {
            result.AddRange(h.Sink.Deliveries.Select(d => d.Bytes));
            h.Sink.Clear();
        }
        else
        {
            result.AddRange(h.TakeSent());
        }
        return result;
    }

    private static FaultStats Stats(FaultHarness h, bool inbound) => inbound ? h.Endpoint.InboundStats : h.Endpoint.OutboundStats;

    [Fact]
    public void WithNoFaultsBothDirectionsPassTheSamePacketObjectsUntouched()
    {
        using var h = new FaultHarness(FaultOptions.None);
        var pkt = h.Outbound(7);
        Assert.Equal(new WriteResult(1, TcpipError.None), h.Endpoint.WritePackets([pkt]));
        var frame = h.Inner.TryReadOutbound();
        Assert.Same(pkt, frame);
        Assert.Equal(FaultHarness.UdpPacket(7), frame!.ToArray());
        frame.Release();
        pkt.Release();

        h.Inject(8);
        Assert.Equal(FaultHarness.UdpPacket(8), Assert.Single(h.Sink.Deliveries).Bytes);
        Assert.Equal(NetworkProtocolNumber.IPv4, h.Sink.Deliveries[0].Protocol);
        Assert.Equal(0, h.Endpoint.InboundStats.Packets.Value);
        Assert.Equal(0, h.Endpoint.OutboundStats.Packets.Value);
    }

    [Fact]
    public void ForwardsTheInnerEndpointsProperties()
    {
        var caps = LinkCapabilities.RxChecksumOffload | LinkCapabilities.TxChecksumOffload | LinkCapabilities.HardwareGso;
        using var h = new FaultHarness(FaultOptions.None, ethernet: true, capabilities: caps);
        var e = h.Endpoint;
        Assert.Equal(1500, e.Mtu);
        Assert.Equal(14, e.MaxHeaderLength);
        Assert.Equal(FaultHarness.LocalMac, e.LinkAddress);
        Assert.Equal(ArpHardwareType.Ether, e.ArpHardwareType);
        Assert.Equal(caps | LinkCapabilities.ResolutionRequired, e.Capabilities);
        Assert.True(e.IsAttached);
        Assert.True(h.Inner.IsAttached);
    }

    [Fact]
    public void CorruptionHidesChecksumOffloadAndOutboundFaultsHideGso()
    {
        var caps = LinkCapabilities.RxChecksumOffload | LinkCapabilities.TxChecksumOffload | LinkCapabilities.HardwareGso;
        using (var h = new FaultHarness(Inbound(new DirectionFaults { CorruptProbability = 0.01 }), capabilities: caps))
        {
            Assert.Equal(LinkCapabilities.TxChecksumOffload | LinkCapabilities.HardwareGso, h.Endpoint.Capabilities);
        }
        using (var h = new FaultHarness(Outbound(new DirectionFaults { CorruptProbability = 0.01 }), capabilities: caps))
        {
            Assert.Equal(LinkCapabilities.RxChecksumOffload, h.Endpoint.Capabilities);
            Assert.Equal(0, h.Endpoint.GsoMaxSize);
        }
        using (var h = new FaultHarness(Outbound(new DirectionFaults { DropProbability = 0.01 }), capabilities: caps))
        {
            Assert.Equal(LinkCapabilities.RxChecksumOffload | LinkCapabilities.TxChecksumOffload, h.Endpoint.Capabilities);
        }
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void DropAtZeroHundredAndInBetween(bool inbound)
    {
        using (var h = new FaultHarness(For(inbound, new DirectionFaults { DropProbability = 0, MaxPacketSize = 65535 })))
        {
            var got = Run(h, inbound);
            Assert.Equal(Enumerable.Range(0, N), got.Select(FaultHarness.SeqOf));
            Assert.Equal(N, Stats(h, inbound).Packets.Value);
            Assert.Equal(N, Stats(h, inbound).Passed.Value);
        }
        using (var h = new FaultHarness(For(inbound, new DirectionFaults { DropProbability = 1 })))
        {
            Assert.Empty(Run(h, inbound));
            Assert.Equal(N, Stats(h, inbound).DroppedRandom.Value);
        }
        using (var h = new FaultHarness(For(inbound, new DirectionFaults { DropProbability = 0.3 })))
        {
            var got = Run(h, inbound).Select(FaultHarness.SeqOf).ToList();
            Assert.InRange(got.Count, N * 0.7 - 100, N * 0.7 + 100);
            Assert.Equal(got.Order(), got); // survivors keep their order
            Assert.Equal(N - got.Count, Stats(h, inbound).DroppedRandom.Value);
        }
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void DuplicateAtZeroHundredAndInBetween(bool inbound)
    {
        using (var h = new FaultHarness(For(inbound, new DirectionFaults { DuplicateProbability = 1 })))
        {
            var got = Run(h, inbound, 100);
            Assert.Equal(Enumerable.Range(0, 100).SelectMany(i => new[] { i, i }), got.Select(FaultHarness.SeqOf));
            for (int i = 0; i < got.Count; i++)
            {
                Assert.Equal(FaultHarness.UdpPacket(i / 2), got[i]);
            }
            Assert.Equal(100, Stats(h, inbound).Duplicated.Value);
            Assert.Equal(200, Stats(h, inbound).Passed.Value);
        }
        using (var h = new FaultHarness(For(inbound, new DirectionFaults { DuplicateProbability = 0.1 })))
        {
            var got = Run(h, inbound);
            Assert.InRange(got.Count - N, N * 0.1 - 60, N * 0.1 + 60);
            Assert.Equal(got.Count - N, Stats(h, inbound).Duplicated.Value);
        }
    }

    [Fact]
    public void AnInboundDuplicateIsASeparatePacketSoTheFirstDeliveryCannotSpoilTheSecond()
    {
        using var h = new FaultHarness(Inbound(new DirectionFaults { DuplicateProbability = 1 }));
        h.Inject(1);
        var d = h.Sink.Deliveries;
        Assert.Equal(2, d.Count);
        Assert.NotSame(d[0].Packet, d[1].Packet);
        Assert.Equal(d[0].Bytes, d[1].Bytes);
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void CorruptionFlipsExactlyOneBitThatTheChecksumsCatch(bool inbound)
    {
        using var h = new FaultHarness(For(inbound, new DirectionFaults { CorruptProbability = 1 }));
        int inHeaders = 0;
        for (int i = 0; i < 1000; i++)
        {
            var original = FaultHarness.UdpPacket(i);
            var got = Assert.Single(Run(h, inbound, 1, first: i));
            Assert.Equal(original.Length, got.Length);
            int bits = 0;
            for (int b = 0; b < got.Length; b++)
            {
                bits += System.Numerics.BitOperations.PopCount((uint)(got[b] ^ original[b]));
                if (got[b] != original[b] && b < 28)
                {
                    inHeaders++;
                }
            }
            Assert.Equal(1, bits);
            Assert.False(FaultHarness.ChecksumsValid(got), $"packet {i}: a one-bit flip escaped both checksums");
        }
        // 28 of 100 bytes are IPv4 + UDP headers: they are hit about 28% of the time.
        Assert.InRange(inHeaders, 180, 380);
        Assert.Equal(1000, Stats(h, inbound).Corrupted.Value);
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void CorruptionInBetweenAndNever(bool inbound)
    {
        using (var h = new FaultHarness(For(inbound, new DirectionFaults { CorruptProbability = 0.05 })))
        {
            var got = Run(h, inbound);
            int bad = got.Count(p => !FaultHarness.ChecksumsValid(p));
            Assert.Equal(N, got.Count);
            Assert.InRange(bad, N * 0.05 - 45, N * 0.05 + 45);
            Assert.Equal(bad, Stats(h, inbound).Corrupted.Value);
        }
        using (var h = new FaultHarness(For(inbound, new DirectionFaults { CorruptProbability = 0, DropProbability = 1e-9 })))
        {
            Assert.All(Run(h, inbound), p => Assert.True(FaultHarness.ChecksumsValid(p)));
        }
    }

    [Fact]
    public void CorruptingAnOutboundPacketNeverTouchesTheSendersBytes()
    {
        using var h = new FaultHarness(Outbound(new DirectionFaults { CorruptProbability = 1 }), ethernet: true);
        var pkt = h.Outbound(3);
        var clone = pkt.Clone(); // another user of the same chunks, like a retransmit queue
        Assert.True(h.Endpoint.WritePackets([pkt]).Ok);
        var frame = h.Inner.TryReadOutbound()!;
        var wire = frame.ToArray();
        Assert.Equal(FaultHarness.UdpPacket(3), pkt.ToArray());
        Assert.Equal(FaultHarness.UdpPacket(3), clone.ToArray());
        Assert.Equal(0, pkt.LinkHeader.Length); // the inner link pushed its header on the copy
        Assert.Equal(FaultHarness.PeerMac.ToString(), Netstack.LinkAddress.FromBytes(wire.AsSpan(0, 6)).ToString());
        Assert.False(FaultHarness.ChecksumsValid(wire[14..]));
        frame.Release();
        clone.Release();
        pkt.Release();
    }

    [Fact]
    public void InboundCorruptionSparesTheLinkHeaderAndClearsTheValidatedFlag()
    {
        using var h = new FaultHarness(Inbound(new DirectionFaults { CorruptProbability = 1 }), ethernet: true);
        for (int i = 0; i < 200; i++)
        {
            h.Inject(i);
        }
        Assert.All(h.Sink.Deliveries, d =>
        {
            Assert.Equal(14, d.LinkHeader.Length);
            Assert.Equal(FaultHarness.PeerMac.ToString(), Netstack.LinkAddress.FromBytes(d.LinkHeader.AsSpan(6, 6)).ToString());
            Assert.False(FaultHarness.ChecksumsValid(d.Bytes));
            Assert.False(d.RxChecksumValidated);
        });
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void MaxPacketSizeDropsOnlyLargerPackets(bool inbound)
    {
        using var h = new FaultHarness(For(inbound, new DirectionFaults { MaxPacketSize = 100 }), ethernet: true);
        Assert.Single(Run(h, inbound, 1, 100));
        Assert.Empty(Run(h, inbound, 1, 101));
        Assert.Equal(1, Stats(h, inbound).DroppedTooLarge.Value);
    }

    [Fact]
    public void DroppedPacketsCountAsWrittenAndTheSurvivorsGoDownInRuns()
    {
        using var h = new FaultHarness(Outbound(new DirectionFaults { DropProbability = 0.5 }));
        var batch = Enumerable.Range(0, 64).Select(i => h.Outbound(i)).ToArray();
        Assert.Equal(new WriteResult(64, TcpipError.None), h.Endpoint.WritePackets(batch));
        var sent = h.TakeSent().Select(FaultHarness.SeqOf).ToList();
        Assert.Equal(sent.Order(), sent);
        Assert.Equal(64 - sent.Count, h.Endpoint.OutboundStats.DroppedRandom.Value);
        foreach (var p in batch)
        {
            Assert.Equal(1, p.ReferenceCount);
            p.Release();
        }
    }

    [Fact]
    public void AnInnerRefusalIsReportedAtTheRightIndex()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var pool = new Netstack.Buffers.ChunkPool();
        var inner = new Netstack.Link.Channel.ChannelEndpoint(capacity: 3);
        using var e = new FaultInjectingEndpoint(inner, Outbound(new DirectionFaults { DuplicateProbability = 1 }), time);
        var batch = Enumerable.Range(0, 3).Select(i => Netstack.Buffers.PacketBuffer.Rent(0, FaultHarness.UdpPacket(i), pool)).ToArray();
        // Packet 0 and its duplicate fit, packet 1 fits but its duplicate does not: packet 1 counts as written.
        Assert.Equal(new WriteResult(2, TcpipError.NoBufferSpace), e.WritePackets(batch));
        Assert.Equal(3, inner.DrainOutbound());
        foreach (var p in batch)
        {
            p.Release();
        }
        e.Dispose();
        Assert.Equal(0, pool.Outstanding);
    }
}
