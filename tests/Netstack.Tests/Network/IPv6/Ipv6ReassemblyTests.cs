using Netstack.Buffers;
using Netstack.Network.IPv6;
using PacketDotNet;
using static Netstack.Tests.Network.IPv6.Ipv6TestHost;
using static Netstack.Tests.Network.IPv6.V6Packets;

namespace Netstack.Tests.Network.IPv6;

public sealed class Ipv6ReassemblyTests : IDisposable
{
    private readonly Ipv6TestHost _host = new();

    public void Dispose() => _host.Dispose();

    private Ipv6Stats Stats => _host.Ip.Stats;

    private static byte[] Datagram(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        return Udp(Peer, Global, 5000, 7, data);
    }

    private static List<byte[]> Split(byte[] udp, int perFragment = 1232, uint id = 77) =>
        Fragments(Peer, Global, 17, udp, perFragment, id);

    private void AssertDelivered(byte[] udp)
    {
        var (_, data) = Assert.Single(_host.Udp.Packets);
        Assert.Equal(udp, data);
        Assert.Equal(0, _host.Ip.PendingReassemblies);
        Assert.Equal(0, _host.Ip.ReassemblyBytes);
    }

    [Fact]
    public void FragmentsInOrderAreReassembled()
    {
        var udp = Datagram(4000);
        foreach (var f in Split(udp))
        {
            _host.Receive(f);
        }
        AssertDelivered(udp);
        Assert.Equal(4, Stats.FragmentsReceived.Value);
        Assert.Equal(1, Stats.PacketsReassembled.Value);
    }

    [Fact]
    public void FragmentsInReverseOrderAreReassembled()
    {
        var udp = Datagram(4000);
        foreach (var f in Enumerable.Reverse(Split(udp)))
        {
            _host.Receive(f);
        }
        AssertDelivered(udp);
    }

    [Fact]
    public void ShuffledSmallFragmentsAreReassembled()
    {
        var udp = Datagram(1000);
        var fragments = Split(udp, perFragment: 64);
        new Random(7).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(fragments));
        foreach (var f in fragments)
        {
            _host.Receive(f);
        }
        AssertDelivered(udp);
    }

    [Fact]
    public void LargestDatagramIsReassembled()
    {
        var udp = Datagram(65535 - 8 - 8);
        foreach (var f in Split(udp))
        {
            _host.Receive(f);
        }
        AssertDelivered(udp);
    }

    [Fact]
    public void InterleavedPacketsAreKeptApartByIdentification()
    {
        var a = Datagram(3000);
        var b = Datagram(2000);
        var fa = Split(a, id: 1);
        var fb = Split(b, id: 2);
        _host.Receive(fa[0]);
        _host.Receive(fb[1]);
        _host.Receive(fa[2]);
        _host.Receive(fb[0]);
        _host.Receive(fa[1]);

        Assert.Equal([b, a], _host.Udp.Packets.Select(p => p.Data));
    }

    [Fact]
    public void UnfragmentableAndFragmentableExtensionHeadersAreKept()
    {
        var udp = Datagram(3000);
        // Destination options before the fragment header (unfragmentable), and one after it (fragmentable).
        var fragmentable = Concat(Options(17, 0x1E, 2, 1, 1), udp);
        var fragments = Fragments(Peer, Global, 60, fragmentable, 1232, 5, unfragmentable: Options(44, 0x1E, 0), unfragmentableNext: 60);
        foreach (var f in fragments)
        {
            _host.Receive(f);
        }
        AssertDelivered(udp);
    }

    [Fact]
    public void ExactDuplicateIsDroppedAloneAndThePacketCompletes()
    {
        var udp = Datagram(3000);
        var fragments = Split(udp);
        _host.Receive(fragments[0]);
        _host.Receive(fragments[0]);
        _host.Receive(fragments[1]);
        _host.Receive(fragments[2]);

        AssertDelivered(udp);
        Assert.Equal(1, Stats.DroppedFragmentDuplicate.Value);
    }

    [Fact]
    public void OverlapDiscardsTheWholePacketAndItsLaterFragments()
    {
        var udp = Datagram(3000);
        var fragments = Split(udp);
        _host.Receive(fragments[0]);
        // A fragment that overlaps the first one's tail (RFC 5722).
        _host.Receive(Ipv6(Peer, Global, 44, Concat(Fragment(17, 1224, true, 77), udp[1224..2456])));
        Assert.Equal(1, Stats.DroppedFragmentOverlap.Value);
        _host.Receive(fragments[1]);
        _host.Receive(fragments[2]);

        Assert.Empty(_host.Udp.Packets);
        Assert.Equal(2, Stats.DroppedFragmentOfDiscardedPacket.Value);
        Assert.Equal(0, _host.Ip.ReassemblyBytes);
    }

    [Fact]
    public void TinyOverlappingFragmentRewritingTheHeaderIsRejected()
    {
        // The classic attack: a second "first" fragment rewrites the ports.
        var udp = Datagram(100);
        var fragments = Split(udp, perFragment: 64);
        _host.Receive(fragments[0]);
        var forged = (byte[])udp.Clone();
        forged[2] = 0x99;
        _host.Receive(Ipv6(Peer, Global, 44, Concat(Fragment(17, 0, true, 77), forged[..16])));
        _host.Receive(fragments[1]);

        Assert.Empty(_host.Udp.Packets);
        Assert.Equal(1, Stats.DroppedFragmentOverlap.Value);
    }

    [Fact]
    public void FragmentsDisagreeingOnTheEndDiscardThePacket()
    {
        var udp = Datagram(3000);
        var fragments = Split(udp);
        _host.Receive(fragments[2]);
        // Another "last" fragment ending elsewhere.
        _host.Receive(Ipv6(Peer, Global, 44, Concat(Fragment(17, 2464, false, 77), new byte[16])));

        Assert.Equal(1, Stats.DroppedFragmentInconsistentEnd.Value);
        _host.Receive(fragments[0]);
        _host.Receive(fragments[1]);
        Assert.Empty(_host.Udp.Packets);
    }

    [Fact]
    public void FragmentBeyondTheLastFragmentsEndDiscardsThePacket()
    {
        var udp = Datagram(3000);
        var fragments = Split(udp);
        _host.Receive(fragments[2]);
        _host.Receive(Ipv6(Peer, Global, 44, Concat(Fragment(17, 4000, true, 77), new byte[16])));

        Assert.Equal(1, Stats.DroppedFragmentInconsistentEnd.Value);
    }

    [Fact]
    public void FragmentWithMoreSetAndLengthNotAMultipleOfEightGetsParameterProblem()
    {
        var packet = Ipv6(Peer, Global, 44, Concat(Fragment(17, 0, true, 1), Datagram(13)));
        _host.Receive(packet);

        Assert.Equal(1, Stats.DroppedFragmentBadLength.Value);
        AssertIcmp(type: 4, code: 0, pointer: 4, packet);
    }

    [Fact]
    public void FragmentEndingBeyond65535GetsParameterProblemAtTheOffsetField()
    {
        var packet = Ipv6(Peer, Global, 44, Concat(Fragment(17, 65528, false, 1), new byte[16]));
        _host.Receive(packet);

        Assert.Equal(1, Stats.DroppedFragmentTooBig.Value);
        AssertIcmp(type: 4, code: 0, pointer: 42, packet);
    }

    [Fact]
    public void FirstFragmentWithoutTheUpperLayerHeaderIsRejected()
    {
        // RFC 7112: the first fragment must reach into the upper-layer header.
        var fragmentable = Concat(Options(17), Datagram(100));
        // An 8-byte first fragment holding only the destination options header.
        var truncated = Ipv6(Peer, Global, 44, Concat(Fragment(60, 0, true, 3), fragmentable[..8]));
        // A 16-byte one that also holds the 8-byte UDP header is fine.
        var first = Ipv6(Peer, Global, 44, Concat(Fragment(60, 0, true, 4), fragmentable[..16]));
        _host.Receive(truncated);

        Assert.Equal(1, Stats.DroppedFragmentIncompleteChain.Value);
        AssertIcmp(type: 4, code: 3, pointer: 0, truncated);

        _host.Receive(first);
        Assert.Equal(1, Stats.DroppedFragmentIncompleteChain.Value);
    }

    [Fact]
    public void NestedFragmentHeaderInAReassembledPacketIsDropped()
    {
        var inner = Concat(Fragment(17, 0, true, 9), new byte[16]);
        foreach (var f in Fragments(Peer, Global, 44, Concat(inner, new byte[8]), 16, 10))
        {
            _host.Receive(f);
        }
        Assert.Equal(1, Stats.DroppedNestedFragment.Value);
        Assert.Empty(_host.Udp.Packets);
    }

    [Fact]
    public void TooManyFragmentsDiscardThePacket()
    {
        var udp = Datagram(1200);
        var fragments = Split(udp, perFragment: 8);
        foreach (var f in fragments)
        {
            _host.Receive(f);
        }
        Assert.Empty(_host.Udp.Packets);
        Assert.Equal(1, Stats.DroppedTooManyFragments.Value);
        Assert.Equal(0, _host.Ip.ReassemblyBytes);
    }

    [Fact]
    public void TimeoutAfterTheFirstFragmentSendsTimeExceededAboutIt()
    {
        var fragments = Split(Datagram(3000));
        _host.Receive(fragments[0]);
        _host.Receive(fragments[2]);

        _host.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(_host.SentExceptNdp());
        _host.Time.Advance(TimeSpan.FromSeconds(1.1));

        AssertIcmp(type: 3, code: 1, pointer: 0, fragments[0]);
        Assert.Equal(1, Stats.ReassemblyTimeouts.Value);
        Assert.Equal(0, _host.Ip.PendingReassemblies);
        Assert.Equal(0, _host.Ip.ReassemblyBytes);
    }

    [Fact]
    public void TimeoutWithoutTheFirstFragmentIsSilent()
    {
        var fragments = Split(Datagram(3000));
        _host.Receive(fragments[1]);
        _host.Time.Advance(TimeSpan.FromSeconds(61));

        Assert.Empty(_host.SentExceptNdp());
        Assert.Equal(1, Stats.ReassemblyTimeouts.Value);
    }

    [Fact]
    public void TimeoutOfAMulticastPacketIsSilent()
    {
        var udp = Udp(Peer, Address.AllNodesV6, 5000, 7, new byte[3000]);
        var fragments = Fragments(Peer, Address.AllNodesV6, 17, udp, 1232, 4);
        _host.Receive(fragments[0]);
        _host.Time.Advance(TimeSpan.FromSeconds(61));

        Assert.Empty(_host.SentExceptNdp());
        Assert.Equal(1, _host.Ip.IcmpStats.ErrorsSuppressed.Value);
    }

    [Fact]
    public void MemoryLimitEvictsTheOldestPackets()
    {
        using var host = new Ipv6TestHost(Quiet with { MaxReassemblyBytes = 65536 });
        for (uint id = 0; id < 64; id++)
        {
            host.Receive(Split(Datagram(3000), id: id)[0]);
        }
        Assert.InRange(host.Ip.ReassemblyBytes, 1, 65536);
        Assert.True(host.Ip.Stats.ReassembliesEvicted.Value > 0);
    }

    [Fact]
    public void ConcurrentPacketLimitEvictsTheOldest()
    {
        using var host = new Ipv6TestHost(Quiet with { MaxReassemblies = 4 });
        var first = Split(Datagram(3000), id: 100);
        host.Receive(first[0]);
        for (uint id = 0; id < 4; id++)
        {
            host.Receive(Split(Datagram(3000), id: id)[0]);
        }
        Assert.Equal(4, host.Ip.PendingReassemblies);
        Assert.Equal(1, host.Ip.Stats.ReassembliesEvicted.Value);
        // The evicted packet can no longer complete.
        host.Receive(first[1]);
        host.Receive(first[2]);
        Assert.Empty(host.Udp.Packets);
    }

    [Fact]
    public void FragmentBuffersAreSharedNotCopied()
    {
        var udp = Datagram(4000);
        var fragments = Split(udp);
        foreach (var f in fragments)
        {
            _host.Receive(f);
        }
        AssertDelivered(udp);
        // Every chunk the fragments pinned went back to the pool.
        Assert.Equal(0, _host.Ip.ReassemblyBytes);
    }

    [Fact]
    public void HostileFragmentStormStaysBoundedAndReleasesEveryBuffer()
    {
        using var host = new Ipv6TestHost(Quiet with { MaxReassemblyBytes = 256 * 1024, MaxReassemblies = 32 });
        var pool = new ChunkPool();
        var random = new Random(99);
        for (int i = 0; i < 5000; i++)
        {
            int offset = random.Next(0, 8192) * 8;
            int length = random.Next(1, 64) * 8 + (random.Next(8) == 0 ? random.Next(1, 8) : 0);
            bool more = random.Next(3) != 0;
            var packet = Ipv6(Peer, Global, 44, Concat(Fragment(17, offset & 0xFFF8, more, (uint)random.Next(40)), new byte[length]));
            var frame = PacketBuffer.Rent(0, Ethernet(Mac, PeerMac, packet), pool);
            host.Link.InjectFrame(frame);
            frame.Release();
            Assert.True(host.Ip.ReassemblyBytes <= 256 * 1024);
            Assert.True(host.Ip.PendingReassemblies <= 32);
        }
        host.Frames();
        host.Time.Advance(TimeSpan.FromSeconds(61));
        host.Frames();

        Assert.Equal(0, host.Ip.PendingReassemblies);
        Assert.Equal(0, host.Ip.ReassemblyBytes);
        Assert.Equal(0, pool.Outstanding);
    }

    private void AssertIcmp(byte type, byte code, uint pointer, byte[] offending)
    {
        var reply = Assert.Single(_host.SentExceptNdp());
        Assert.Equal(ProtocolType.IcmpV6, reply.Protocol);
        var icmp = (IcmpV6Packet)reply.PayloadPacket;
        Assert.True(icmp.ValidIcmpChecksum);
        var bytes = icmp.Bytes;
        Assert.Equal(type, bytes[0]);
        Assert.Equal(code, bytes[1]);
        Assert.Equal(pointer, ReadU32(bytes, 4));
        int n = Math.Min(offending.Length, 1232);
        Assert.Equal(offending[..n], bytes[8..]);
    }
}
