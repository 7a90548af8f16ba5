using Microsoft.Extensions.Time.Testing;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Link.Channel;
using Netstack.Stack;
using Netstack.Stack.Neighbors;

namespace Netstack.Tests.Stack;

public sealed class NeighborCacheTests : IDisposable
{
    private static readonly LinkAddress OurMac = LinkAddress.Parse("02:00:00:00:00:01");
    private static readonly LinkAddress PeerMac = LinkAddress.Parse("02:00:00:00:00:02");
    private static readonly Address Peer = Address.Parse("10.0.0.1");
    private static readonly Address Us = Address.Parse("10.0.0.2");

    private readonly FakeTimeProvider _time = new();
    private readonly NetworkStack _stack;
    private readonly ChannelEndpoint _link = new(1500, OurMac);
    private readonly RecordingResolver _resolver = new();
    private readonly NeighborCache _cache;
    private readonly Nic _nic;

    public NeighborCacheTests()
    {
        _stack = new NetworkStack(new StackOptions { TimeProvider = _time, NetworkProtocols = [], TransportProtocols = [] });
        _nic = _stack.CreateNic(1, _link);
        _cache = new NeighborCache(_nic, _resolver);
    }

    public void Dispose()
    {
        _stack.Dispose();
        _link.Dispose();
    }

    private static PacketBuffer IpPacket()
    {
        var p = PacketBuffer.Rent(EthernetHeader.Size, 20);
        p.NetworkProtocol = NetworkProtocolNumber.IPv4;
        return p;
    }

    [Fact]
    public void QueuedPacketsGoOutWhenTheAnswerArrives()
    {
        var pkt = IpPacket();
        Assert.Equal(NeighborResolution.Queued, _cache.Resolve(Peer, Us, [pkt], out _));
        pkt.Release();
        Assert.Equal([(Peer, Us, LinkAddress.Empty)], _resolver.Solicitations);
        Assert.Null(_link.TryReadOutbound());

        _cache.HandleConfirmation(Peer, PeerMac, new NeighborConfirmation(Solicited: true, Override: true));

        var frame = _link.TryReadOutbound();
        Assert.NotNull(frame);
        EthernetHeader.TryParse(frame.ToArray(), out var eth);
        Assert.Equal(PeerMac, eth.Destination);
        Assert.Equal(OurMac, eth.Source);
        frame.Release();
        Assert.True(_cache.TryGetEntry(Peer, out var entry));
        Assert.Equal(NeighborState.Reachable, entry.State);
        Assert.Equal(NeighborResolution.Resolved, _cache.Resolve(Peer, Us, [], out var mac));
        Assert.Equal(PeerMac, mac);
    }

    [Fact]
    public void ResolutionGivesUpAfterMaxProbesAndDropsTheQueue()
    {
        var pkt = IpPacket();
        _cache.Resolve(Peer, Us, [pkt], out _);
        for (int i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1001));
        }
        Assert.Equal(3, _resolver.Solicitations.Count);
        Assert.False(_cache.TryGetEntry(Peer, out _));
        Assert.Equal(1, pkt.ReferenceCount);
        Assert.Equal(1, _nic.Stats.ResolutionFailures.Value);
        pkt.Release();
    }

    [Fact]
    public void StaleEntryIsVerifiedThroughDelayAndProbe()
    {
        _cache.HandleProbe(Peer, PeerMac);
        Assert.True(_cache.TryGetEntry(Peer, out var e));
        Assert.Equal(NeighborState.Stale, e.State);

        Assert.Equal(NeighborResolution.Resolved, _cache.Resolve(Peer, Us, [], out _));
        _cache.TryGetEntry(Peer, out e);
        Assert.Equal(NeighborState.Delay, e.State);

        _time.Advance(TimeSpan.FromSeconds(5.01));
        _cache.TryGetEntry(Peer, out e);
        Assert.Equal(NeighborState.Probe, e.State);
        Assert.Equal((Peer, Address.Empty, PeerMac), _resolver.Solicitations[^1]);

        _cache.HandleConfirmation(Peer, PeerMac, new NeighborConfirmation(Solicited: true, Override: false));
        _cache.TryGetEntry(Peer, out e);
        Assert.Equal(NeighborState.Reachable, e.State);

        _time.Advance(TimeSpan.FromSeconds(46));
        _cache.TryGetEntry(Peer, out e);
        Assert.Equal(NeighborState.Stale, e.State);
    }

    [Fact]
    public void OverrideClearDoesNotReplaceAKnownAddress()
    {
        _cache.AddStatic(Address.Parse("10.0.0.9"), PeerMac);
        _cache.HandleProbe(Peer, PeerMac);
        _cache.HandleConfirmation(Peer, PeerMac, new NeighborConfirmation(true, true));
        var other = LinkAddress.Parse("02:00:00:00:00:03");
        _cache.HandleConfirmation(Peer, other, new NeighborConfirmation(Solicited: false, Override: false));
        _cache.TryGetEntry(Peer, out var e);
        Assert.Equal(PeerMac, e.LinkAddress);
        Assert.Equal(NeighborState.Stale, e.State);
        _cache.HandleConfirmation(Peer, other, new NeighborConfirmation(Solicited: false, Override: true));
        _cache.TryGetEntry(Peer, out e);
        Assert.Equal(other, e.LinkAddress);
    }

    [Fact]
    public void TheCacheIsBounded()
    {
        var small = new NeighborCache(_nic, _resolver, new NeighborOptions { MaxEntries = 4 });
        for (int i = 1; i <= 10; i++)
        {
            small.HandleProbe(Address.V4(10, 0, 1, (byte)i), PeerMac);
        }
        Assert.Equal(4, small.Count);
    }

    [Fact]
    public void ThePendingQueueIsBounded()
    {
        var small = new NeighborCache(_nic, _resolver, new NeighborOptions { MaxPendingPacketsPerEntry = 2 });
        var packets = Enumerable.Range(0, 5).Select(_ => IpPacket()).ToArray();
        small.Resolve(Peer, Us, packets, out _);
        Assert.Equal(3, _nic.Stats.ResolutionFailures.Value);
        small.HandleConfirmation(Peer, PeerMac, new NeighborConfirmation(true, true));
        Assert.Equal(2, _link.DrainOutbound());
        foreach (var p in packets)
        {
            Assert.Equal(1, p.ReferenceCount);
            p.Release();
        }
    }

    private sealed class RecordingResolver : ILinkAddressResolver
    {
        public List<(Address Target, Address Local, LinkAddress Remote)> Solicitations { get; } = new();

        public void SendSolicitation(Nic nic, Address target, Address localAddress, LinkAddress remoteLinkAddress) =>
            Solicitations.Add((target, localAddress, remoteLinkAddress));
    }
}
