using System.Buffers.Binary;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Network.IPv4;
using static Netstack.Tests.Network.IPv4.Ipv4Harness;

namespace Netstack.Tests.Network.IPv4;

public sealed class Ipv4ReassemblyTests : IDisposable
{
    private Ipv4Harness _h;
    private RecordingEndpoint _ep;

    public Ipv4ReassemblyTests()
    {
        _h = new Ipv4Harness();
        _ep = _h.Listen(7);
    }

    public void Dispose() => _h.Dispose();

    private void Use(Ipv4ProtocolOptions options)
    {
        _h.Dispose();
        _h = new Ipv4Harness(options);
        _ep = _h.Listen(7);
    }

    private static byte[] Segment(int payload = 3000, int seed = 0) => TestPackets.UdpSegment(5000, 7, TestPackets.Pattern(payload, seed));

    private static byte[] Datagram(ushort id = 42, int payload = 3000, byte proto = 17, int seed = 0) =>
        TestPackets.Ipv4(Peer, Us, proto, proto == 17 ? Segment(payload, seed) : TestPackets.Pattern(payload + 8, seed), id: id);

    private void AssertNothingHeld()
    {
        Assert.Equal(0, _h.Ip.PendingReassemblies);
        Assert.Equal(0, _h.Ip.ReassemblyMemory);
    }

    [Theory]
    [InlineData("in order")]
    [InlineData("reverse")]
    [InlineData("shuffled")]
    [InlineData("duplicated")]
    [InlineData("last first")]
    public void FragmentsInAnyOrderMakeTheDatagramOnce(string order)
    {
        var fragments = TestPackets.Fragment(Datagram(), 512);
        var sequence = order switch
        {
            "reverse" => Enumerable.Reverse(fragments).ToList(),
            "shuffled" => fragments.OrderBy(_ => Random.Shared.Next()).ToList(),
            "duplicated" => fragments.SelectMany(f => new[] { f, f }).SkipLast(1).ToList(),
            "last first" => fragments.Skip(fragments.Count - 1).Concat(fragments.Take(fragments.Count - 1)).ToList(),
            _ => fragments,
        };
        foreach (var f in sequence)
        {
            _h.Inject(f);
        }
        var got = Assert.Single(_ep.Packets);
        Assert.Equal(Segment(), got.Data);
        // The header the endpoint sees describes the whole datagram.
        Assert.True(Ipv4Header.TryParse(got.NetworkHeader.Concat(got.Data).ToArray(), out var ip));
        Assert.Equal(20 + 3008, ip.TotalLength);
        Assert.False(ip.IsFragment);
        Assert.True(ip.IsChecksumValid);
        Assert.Equal(1, _h.Ip.Stats.Reassembled.Value);
        Assert.Equal(sequence.Count, _h.Ip.Stats.FragmentsReceived.Value);
        Assert.Equal(order == "duplicated" ? fragments.Count - 1 : 0, _h.Ip.Stats.DroppedFragmentDuplicate.Value);
        AssertNothingHeld();
    }

    [Fact]
    public void TheDatagramIsAChainOfTheFragmentsViewsNotACopy()
    {
        foreach (var f in TestPackets.Fragment(Datagram(), 1000))
        {
            _h.Inject(f);
        }
        // Header chunk + one view per fragment (each fragment arrived in one chunk).
        Assert.True(Assert.Single(_ep.Packets).ViewCount >= 4);
    }

    [Fact]
    public void InterleavedDatagramsAreKeptApart()
    {
        var a = TestPackets.Fragment(Datagram(id: 1, seed: 1), 512);
        var b = TestPackets.Fragment(Datagram(id: 2, seed: 2), 512);
        for (int i = 0; i < a.Count; i++)
        {
            _h.Inject(a[i]);
            _h.Inject(b[a.Count - 1 - i]);
        }
        Assert.Equal(2, _ep.Packets.Count);
        Assert.Contains(_ep.Packets, p => p.Data.SequenceEqual(Segment(seed: 1)));
        Assert.Contains(_ep.Packets, p => p.Data.SequenceEqual(Segment(seed: 2)));
        AssertNothingHeld();
    }

    [Theory]
    [InlineData(0, 16)]    // starts inside the first fragment
    [InlineData(504, 16)]  // straddles two fragments
    [InlineData(8, 504)]   // same length, shifted
    [InlineData(0, 1024)]  // covers two whole fragments
    [InlineData(512, 8)]   // a sub-range of a fragment, same start
    public void AnyOverlapDropsTheWholeDatagram(int start, int length)
    {
        var datagram = Datagram();
        var fragments = TestPackets.Fragment(datagram, 512);
        _h.Inject(fragments[0]);
        _h.Inject(fragments[1]);
        _h.Inject(TestPackets.FragmentOf(datagram, start, length, more: true));
        Assert.Equal(1, _h.Ip.Stats.DroppedFragmentOverlap.Value);
        AssertNothingHeld();
        // The rest arrives: no datagram, since fragments 0 and 1 are gone.
        foreach (var f in fragments.Skip(2))
        {
            _h.Inject(f);
        }
        Assert.Empty(_ep.Packets);
    }

    [Fact]
    public void AnExactDuplicateWithOtherBytesDropsTheDatagram()
    {
        var datagram = Datagram();
        var evil = TestPackets.Ipv4(Peer, Us, 17, TestPackets.UdpSegment(6666, 7777, TestPackets.Pattern(3000)), id: 42);
        _h.Inject(TestPackets.FragmentOf(evil, 0, 512, more: true));
        _h.Inject(TestPackets.FragmentOf(datagram, 0, 512, more: true));
        Assert.Equal(1, _h.Ip.Stats.DroppedFragmentOverlap.Value);
        foreach (var f in TestPackets.Fragment(datagram, 512).Skip(1))
        {
            _h.Inject(f);
        }
        Assert.Empty(_ep.Packets);
    }

    [Fact]
    public void AnOverlapThatRewritesTheTransportHeaderIsRefused()
    {
        // The classic trick: a second fragment at offset 0..8 with different ports.
        var datagram = Datagram();
        var evil = TestPackets.Ipv4(Peer, Us, 17, TestPackets.UdpSegment(6666, 7777, TestPackets.Pattern(3000)), id: 42);
        _h.Inject(TestPackets.FragmentOf(datagram, 0, 512, more: true));
        _h.Inject(TestPackets.FragmentOf(evil, 0, 8, more: true));
        foreach (var f in TestPackets.Fragment(datagram, 512).Skip(1))
        {
            _h.Inject(f);
        }
        Assert.Empty(_ep.Packets);
        Assert.Equal(1, _h.Ip.Stats.DroppedFragmentOverlap.Value);
    }

    [Fact]
    public void HostileFragmentsAreDroppedAndCounted()
    {
        var datagram = Datagram();
        // Zero-length fragment.
        _h.Inject(TestPackets.FragmentOf(datagram, 0, 0, more: true));
        // MF with a length not a multiple of 8.
        _h.Inject(TestPackets.FragmentOf(datagram, 0, 100, more: true));
        // Offset + length past 65,535 (ping of death): offset 65528 with 16 bytes.
        var big = TestPackets.FragmentOf(datagram, 0, 16, more: false);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(big.AsSpan(6), 65528 / 8);
        TestPackets.FixChecksum(big);
        _h.Inject(big);
        // A TCP first fragment of 8 bytes cannot hold the TCP header (RFC 1858).
        var tcp = TestPackets.Ipv4(Peer, Us, TestPackets.Tcp, TestPackets.Pattern(100), id: 9);
        _h.Inject(TestPackets.FragmentOf(tcp, 0, 8, more: true));

        var s = _h.Ip.Stats;
        Assert.Equal(1, s.DroppedFragmentZeroLength.Value);
        Assert.Equal(1, s.DroppedFragmentBadLength.Value);
        Assert.Equal(1, s.DroppedFragmentTooBig.Value);
        Assert.Equal(1, s.DroppedFragmentTiny.Value);
        AssertNothingHeld();
    }

    [Fact]
    public void PingOfDeathDropsTheDatagramInProgress()
    {
        var datagram = Datagram();
        _h.Inject(TestPackets.FragmentOf(datagram, 0, 512, more: true));
        Assert.Equal(1, _h.Ip.PendingReassemblies);
        var big = TestPackets.FragmentOf(datagram, 0, 32, more: false);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(big.AsSpan(6), 65512 / 8);
        TestPackets.FixChecksum(big);
        _h.Inject(big);
        AssertNothingHeld();
        Assert.Equal(1, _h.Ip.Stats.DroppedFragmentTooBig.Value);
    }

    [Fact]
    public void TheLargestLegalDatagramIsReassembled()
    {
        // 65,535 bytes in all: 20 header + 8 UDP + 65,507 data.
        var datagram = TestPackets.Ipv4(Peer, Us, 17, TestPackets.UdpSegment(5000, 7, TestPackets.Pattern(65507)), id: 3);
        Assert.Equal(65535, datagram.Length);
        foreach (var f in TestPackets.Fragment(datagram, 1480))
        {
            _h.Inject(f);
        }
        Assert.Equal(65515, Assert.Single(_ep.Packets).Data.Length);
    }

    [Fact]
    public void FragmentsThatDisagreeAboutTheEndDropTheDatagram()
    {
        var datagram = Datagram();
        _h.Inject(TestPackets.FragmentOf(datagram, 1024, 512, more: false)); // ends at 1536
        _h.Inject(TestPackets.FragmentOf(datagram, 2048, 512, more: true)); // beyond the end
        Assert.Equal(1, _h.Ip.Stats.DroppedFragmentInconsistent.Value);
        AssertNothingHeld();

        _h.Inject(TestPackets.FragmentOf(datagram, 2048, 512, more: true));
        _h.Inject(TestPackets.FragmentOf(datagram, 8, 504, more: false)); // "last" before data already seen
        Assert.Equal(2, _h.Ip.Stats.DroppedFragmentInconsistent.Value);

        _h.Inject(TestPackets.FragmentOf(datagram, 8, 504, more: false));
        _h.Inject(TestPackets.FragmentOf(datagram, 1024, 512, more: false)); // two different last fragments
        Assert.Equal(3, _h.Ip.Stats.DroppedFragmentInconsistent.Value);
        AssertNothingHeld();
    }

    [Fact]
    public void ACopyThatClaimsToBeTheLastFragmentDisagreesAboutTheEnd()
    {
        // Same range and bytes as a fragment held with MF set, but MF clear: the end is checked first (as
        // Linux does), so this is no exact duplicate.
        var datagram = Datagram();
        _h.Inject(TestPackets.FragmentOf(datagram, 512, 512, more: true));
        _h.Inject(TestPackets.FragmentOf(datagram, 1024, 512, more: true));
        _h.Inject(TestPackets.FragmentOf(datagram, 512, 512, more: false));
        Assert.Equal(1, _h.Ip.Stats.DroppedFragmentInconsistent.Value);
        Assert.Equal(0, _h.Ip.Stats.DroppedFragmentDuplicate.Value);
        AssertNothingHeld();
    }

    [Fact]
    public void TheWholeDatagramIsNotMarkedChecksumValidated()
    {
        // A link validates per frame: never the transport checksum of a datagram that arrived in fragments.
        var endpoint = new ChecksumFlagEndpoint();
        Assert.Equal(TcpipError.None, _h.Stack.Demuxer.Register(17, new TransportEndpointId(7, Us, 0, default), endpoint));
        foreach (var f in TestPackets.Fragment(Datagram(), 1024))
        {
            var p = Netstack.Buffers.PacketBuffer.Rent(0, f);
            p.RxChecksumValidated = true;
            _h.Nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, p);
            p.Release();
        }
        Assert.Equal([false], endpoint.Validated);
    }

    [Fact]
    public void TooManyFragmentsDropTheDatagram()
    {
        Use(new Ipv4ProtocolOptions { MaxFragmentsPerDatagram = 8 });
        var fragments = TestPackets.Fragment(Datagram(payload: 1000), 64); // 16 fragments
        foreach (var f in fragments)
        {
            _h.Inject(f);
        }
        Assert.Empty(_ep.Packets);
        Assert.Equal(1, _h.Ip.Stats.DroppedTooManyFragments.Value);
    }

    [Fact]
    public void MemoryAboveTheHighWaterEvictsTheOldestDatagrams()
    {
        Use(new Ipv4ProtocolOptions { ReassemblyHighWater = 65536, ReassemblyLowWater = 32768 });
        for (ushort id = 1; id <= 200; id++)
        {
            _h.Inject(TestPackets.FragmentOf(Datagram(id: id), 0, 1024, more: true));
            Assert.True(_h.Ip.ReassemblyMemory <= 65536 + 4096);
        }
        Assert.True(_h.Ip.Stats.ReassemblyEvicted.Value > 100);
        Assert.True(_h.Ip.PendingReassemblies < 200);
        // The newest survived, the oldest did not.
        foreach (var f in TestPackets.Fragment(Datagram(id: 200), 1024).Skip(1))
        {
            _h.Inject(f);
        }
        foreach (var f in TestPackets.Fragment(Datagram(id: 1), 1024).Skip(1))
        {
            _h.Inject(f);
        }
        Assert.Single(_ep.Packets);
    }

    [Fact]
    public void TheDatagramThatJustGrewIsEvictedLast()
    {
        Use(new Ipv4ProtocolOptions { ReassemblyHighWater = 65536, ReassemblyLowWater = 32768 });
        var oldest = TestPackets.Fragment(Datagram(id: 1), 1024);
        _h.Inject(oldest[0]);
        long each = _h.Ip.ReassemblyMemory;
        for (ushort id = 2; _h.Ip.ReassemblyMemory + each <= 65536; id++)
        {
            _h.Inject(TestPackets.FragmentOf(Datagram(id: id), 0, 1024, more: true));
        }
        Assert.Equal(0, _h.Ip.Stats.ReassemblyEvicted.Value);
        // The oldest datagram makes progress past the high water mark: the others go, it stays.
        _h.Inject(oldest[1]);
        Assert.True(_h.Ip.Stats.ReassemblyEvicted.Value > 0);
        Assert.True(_h.Ip.ReassemblyMemory <= 32768);
        _h.Inject(oldest[2]);
        Assert.Single(_ep.Packets);
    }

    [Fact]
    public void ConcurrentReassembliesAreBounded()
    {
        Use(new Ipv4ProtocolOptions { MaxReassemblies = 4 });
        for (ushort id = 1; id <= 10; id++)
        {
            _h.Inject(TestPackets.FragmentOf(Datagram(id: id), 0, 512, more: true));
        }
        Assert.Equal(4, _h.Ip.PendingReassemblies);
        Assert.Equal(6, _h.Ip.Stats.ReassemblyEvicted.Value);
    }

    [Fact]
    public void ATimeoutDropsTheDatagramAndSendsTimeExceededQuotingTheFirstFragment()
    {
        var datagram = Datagram();
        var first = TestPackets.FragmentOf(datagram, 0, 1024, more: true);
        _h.Inject(first);
        _h.Inject(TestPackets.FragmentOf(datagram, 2048, 512, more: true));
        _h.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1, _h.Ip.PendingReassemblies);
        Assert.Null(_h.Read());
        _h.Time.Advance(TimeSpan.FromSeconds(1.01));
        AssertNothingHeld();
        Assert.Equal(1, _h.Ip.Stats.ReassemblyTimeouts.Value);

        var reply = _h.ReadIp()!;
        var ip = TestPackets.Decode(reply);
        Assert.Equal(Peer.ToIPAddress(), ip.DestinationAddress);
        Assert.Equal(Us.ToIPAddress(), ip.SourceAddress);
        var icmp = ip.Extract<PacketDotNet.IcmpV4Packet>();
        Assert.Equal(0x0B01, (int)icmp.TypeCode); // time exceeded, code 1 (fragment reassembly)
        Assert.True(icmp.ValidIcmpChecksum);
        // It quotes the first fragment's header and data, up to 576 bytes in all.
        Assert.Equal(576, reply.Length);
        Assert.Equal(first.AsSpan(0, 548).ToArray(), reply[28..]);
    }

    [Fact]
    public void NoTimeExceededWithoutTheFirstFragment()
    {
        var datagram = Datagram();
        _h.Inject(TestPackets.FragmentOf(datagram, 512, 512, more: true));
        _h.Time.Advance(TimeSpan.FromSeconds(31));
        AssertNothingHeld();
        Assert.Equal(1, _h.Ip.Stats.ReassemblyTimeouts.Value);
        Assert.Null(_h.Read());
    }

    [Fact]
    public void ACompletedDatagramLeavesNoTimerBehind()
    {
        foreach (var f in TestPackets.Fragment(Datagram(), 512))
        {
            _h.Inject(f);
        }
        _h.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, _h.Ip.Stats.ReassemblyTimeouts.Value);
        Assert.Null(_h.Read());
    }

    [Fact]
    public void ReusedStateDoesNotTimeOutEarly()
    {
        // Datagram 1 completes at t=10 s; its pooled state is reused for datagram 2 at t=10 s, which must
        // still get its full 30 s.
        _h.Inject(TestPackets.FragmentOf(Datagram(id: 1), 0, 512, more: true));
        _h.Time.Advance(TimeSpan.FromSeconds(10));
        foreach (var f in TestPackets.Fragment(Datagram(id: 1), 512).Skip(1))
        {
            _h.Inject(f);
        }
        _h.Inject(TestPackets.FragmentOf(Datagram(id: 2), 0, 512, more: true));
        _h.Time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(1, _h.Ip.PendingReassemblies);
        _h.Time.Advance(TimeSpan.FromSeconds(6));
        AssertNothingHeld();
    }

    [Fact]
    public void RemovingTheNicReleasesItsFragments()
    {
        _h.Inject(TestPackets.FragmentOf(Datagram(), 0, 512, more: true));
        Assert.Equal(1, _h.Ip.PendingReassemblies);
        _h.Stack.RemoveNic(1);
        AssertNothingHeld();
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void RandomFragmentSequencesNeverMakeAnythingButWhatWasSent(int seed)
    {
        // Partitions of a datagram with pieces missing, duplicated, overlapping, in any order, sometimes with
        // pieces of an impostor using the same key. With genuine pieces only, the endpoint sees the original
        // or nothing. An impostor piece that arrives first for a range is indistinguishable from the real one
        // (no reassembler can tell), so then each byte is the original's or the impostor's, never anything
        // else. Every fragment is let go in the end.
        var random = new Random(seed);
        var original = Datagram(payload: 1200, seed: 1);
        var impostor = Datagram(payload: 1200, seed: 2);
        var originalData = Segment(1200, 1);
        var impostorData = TestPackets.UdpSegment(5000, 7, TestPackets.Pattern(1200, 2));
        int delivered = 0;
        int exact = 0;
        for (int round = 0; round < 400; round++)
        {
            var pieces = new List<byte[]>();
            for (int off = 0; off < 1208;)
            {
                int length = Math.Min(8 * random.Next(1, 40), 1208 - off);
                pieces.Add(TestPackets.FragmentOf(original, off, length, more: off + length < 1208));
                off += length;
            }
            if (random.Next(4) == 0)
            {
                pieces.RemoveAt(random.Next(pieces.Count));
            }
            bool withImpostor = random.Next(3) == 0;
            var stray = withImpostor ? impostor : original;
            int extra = random.Next(0, 4);
            for (int i = 0; i < extra; i++)
            {
                pieces.Add(random.Next(4) switch
                {
                    0 => pieces[random.Next(pieces.Count)],                       // exact duplicate
                    1 => SameRange(stray, pieces[random.Next(pieces.Count)]),     // same range
                    _ => Piece(stray, 8 * random.Next(0, 151), random),           // any range
                });
            }
            foreach (var piece in pieces.OrderBy(_ => random.Next()))
            {
                _h.Inject(piece);
            }
            foreach (var got in _ep.Packets.Skip(delivered))
            {
                if (!withImpostor)
                {
                    Assert.Equal(originalData, got.Data);
                    exact++;
                    continue;
                }
                Assert.Equal(originalData.Length, got.Data.Length);
                for (int i = 0; i < got.Data.Length; i++)
                {
                    Assert.True(got.Data[i] == originalData[i] || got.Data[i] == impostorData[i]);
                }
            }
            delivered = _ep.Packets.Count;
            _h.Time.Advance(TimeSpan.FromSeconds(31));
            AssertNothingHeld();
            _h.Link.DrainOutbound();
        }
        Assert.True(exact > 50);
        Assert.True(_h.Ip.Stats.DroppedFragmentOverlap.Value > 50);
    }

    // The fragment of `datagram` that covers the same range as `fragment`.
    private static byte[] SameRange(byte[] datagram, byte[] fragment)
    {
        ushort field = BinaryPrimitives.ReadUInt16BigEndian(fragment.AsSpan(6));
        return TestPackets.FragmentOf(datagram, (field & 0x1FFF) * 8, fragment.Length - 20, (field & 0x2000) != 0);
    }

    // A fragment of `datagram` starting at `offset` with a random length (a multiple of 8 unless it is the last).
    private static byte[] Piece(byte[] datagram, int offset, Random random)
    {
        int payload = datagram.Length - 20;
        offset = Math.Min(offset, payload - 8) & ~7;
        int length = Math.Min(8 * random.Next(1, 40), payload - offset);
        bool last = offset + length == payload;
        return TestPackets.FragmentOf(datagram, offset, length, more: !last);
    }

    [Fact]
    public void ReceiveThreadsReassembleConcurrently()
    {
        const int PerThread = 200;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                var fragments = TestPackets.Fragment(Datagram(id: (ushort)(t * 1000 + i), payload: 2000, seed: t), 512);
                foreach (var f in Enumerable.Reverse(fragments))
                {
                    var p = Netstack.Buffers.PacketBuffer.Rent(0, f);
                    _h.Nic.DeliverNetworkPacket(NetworkProtocolNumber.IPv4, p);
                    p.Release();
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(4 * PerThread, _ep.Packets.Count);
        Assert.Equal(0, _h.Stack.Stats.HandlerFaults.Value);
        AssertNothingHeld();
    }

    private sealed class ChecksumFlagEndpoint : ITransportEndpoint
    {
        public List<bool> Validated { get; } = new();

        public void HandlePacket(Nic nic, in TransportEndpointId id, Netstack.Buffers.PacketBuffer packet) => Validated.Add(packet.RxChecksumValidated);

        public void HandleError(in TransportEndpointId id, TransportError error)
        {
        }
    }
}
