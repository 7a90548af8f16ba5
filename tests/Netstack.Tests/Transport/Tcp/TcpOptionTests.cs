using Netstack.Headers;
using Netstack.Stack;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>MSS, window scaling, timestamps and PAWS.</summary>
public class TcpOptionTests
{
    [Fact]
    public async Task MssComesFromTheRouteMtu()
    {
        using var host = new TcpTestHost(mtu: 9000);
        _ = Netstack.Sockets.TcpConnection.ConnectAsync(host.Stack, new System.Net.IPEndPoint(TcpTestHost.Peer.ToIPAddress(), 80));
        var syn = host.Read();
        Assert.Equal(9000 - 40, syn.ParsedOptions.Mss);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task SegmentsNeverExceedThePeersMss()
    {
        using var host = new TcpTestHost(mtu: 9000);
        var sc = await ScriptedConnection.ActiveAsync(host, mss: 1000, timestamps: false);
        await sc.Connection.WriteAsync(new byte[3000]);
        Assert.All(host.ReadAll(), s => Assert.True(s.Payload.Length <= 1000));
    }

    [Fact]
    public async Task PeerWindowIsScaled()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, windowScale: 2);
        // Window 1000 << 2 = 4000 bytes.
        sc.Acknowledge(sc.PeerAcked, window: 1000);
        await sc.Connection.WriteAsync(new byte[10000]);
        var sent = host.ReadAll();
        // Two full segments fit in 4000 bytes; the 1104 left wait (sender silly-window avoidance).
        Assert.Equal(2 * 1448, sent.Sum(s => s.Payload.Length));
        sc.Acknowledge(sent[^1].Seq + (uint)sent[^1].Payload.Length, window: 1000);
        Assert.Equal(2 * 1448, host.ReadAll().Sum(s => s.Payload.Length));
    }

    [Fact]
    public async Task OurWindowIsAdvertisedScaled()
    {
        using var host = new TcpTestHost();
        var settings = new TcpConnectionSettings { ReceiveBufferSize = 1 << 20 };
        var sc = await ScriptedConnection.ActiveAsync(host, settings);
        int shift = sc.Connection.GetStatistics().ReceiveWindowScale;
        Assert.True(shift >= 5, "a 1 MiB buffer needs a shift of at least 5");
        sc.SendData(new byte[10]);
        host.Advance(TimeSpan.FromMilliseconds(50));
        var ack = sc.Read();
        Assert.InRange(ack.Window << shift, (1 << 20) - 10 - (1 << shift), 1 << 20);
    }

    [Fact]
    public async Task TimestampsAreEchoed()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.PeerTsVal = 123456;
        sc.SendData(new byte[1448]);
        var ack = sc.Read();
        Assert.True(ack.ParsedOptions.HasTimestamps);
        Assert.Equal(123456u, ack.ParsedOptions.TimestampEcho);
        uint first = ack.ParsedOptions.TimestampValue;
        host.Advance(TimeSpan.FromMilliseconds(100));
        sc.PeerTsVal = 123500;
        sc.SendData(new byte[1448]);
        var later = sc.Read();
        Assert.Equal(123500u, later.ParsedOptions.TimestampEcho);
        Assert.InRange(later.ParsedOptions.TimestampValue - first, 99u, 101u);
    }

    [Fact]
    public async Task PawsDropsSegmentsWithOldTimestamps()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.PeerTsVal = 5000;
        sc.SendData(new byte[1448]);
        sc.Read();
        // An old duplicate: timestamp older than TS.Recent.
        sc.PeerTsVal = 4000;
        host.Inject(sc.Segment(payload: [1, 2, 3]));
        var ack = sc.Read();
        Assert.Equal(sc.PeerNext, ack.Ack);
        Assert.Equal(1, host.Tcp.Stats.DroppedPaws.Value);
        Assert.Equal(1448, sc.Connection.GetStatistics().ReceiveQueueLength);
        // A RST is not subject to PAWS.
        host.Inject(sc.Segment(TcpFlags.Rst));
        Assert.Equal(TcpState.Closed, sc.Connection.State);
    }

    [Fact]
    public async Task PacketTooBigShrinksSegments()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        await sc.Connection.WriteAsync(new byte[4000]);
        var first = host.ReadAll();
        Assert.Equal(1448, first[0].Payload.Length);
        // A router on the path answers one of them with "fragmentation needed, MTU 1000" (RFC 1191).
        Assert.True(host.Link.InjectFrame(TestSegment.FragmentationNeeded(first[1].Raw, 1000, Address.V4(10, 0, 0, 254), TcpTestHost.Local)));
        Assert.Equal(1000, host.Ip.PathMtu(host.Stack.GetNic(1), TcpTestHost.Peer));
        var again = host.ReadAll();
        Assert.NotEmpty(again);
        Assert.All(again, s => Assert.True(s.Payload.Length <= 1000 - 40 - 12));
        Assert.Equal(sc.PeerAcked, again[0].Seq);
    }

    [Fact]
    public async Task IcmpUnreachableAbortsAConnectAttempt()
    {
        using var host = new TcpTestHost();
        var connect = Netstack.Sockets.TcpConnection.ConnectAsync(host.Stack, new System.Net.IPEndPoint(TcpTestHost.Peer.ToIPAddress(), 80));
        var syn = host.Read();
        var id = new TransportEndpointId(syn.SourcePort, TcpTestHost.Local, 80, TcpTestHost.Peer);
        // RFC 5927 4.1: an error that quotes no sequence number in flight is ignored (a blind attack, maybe).
        host.Stack.DeliverTransportError(6, id, new TransportError(TransportErrorKind.HostUnreachable));
        host.Stack.DeliverTransportError(6, id, new TransportError(TransportErrorKind.HostUnreachable, QuotedWord: syn.Seq + 1000));
        Assert.False(connect.IsCompleted);
        Assert.Equal(2, host.Tcp.Stats.DroppedIcmpOutOfWindow.Value);
        host.Stack.DeliverTransportError(6, id, new TransportError(TransportErrorKind.HostUnreachable, QuotedWord: syn.Seq));
        var e = await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => connect.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(System.Net.Sockets.SocketError.HostUnreachable, e.SocketErrorCode);
    }
}

/// <summary>Host GSO: large segments with partial checksums that the host cuts as Linux does.</summary>
public class TcpGsoTests
{
    [Fact]
    public async Task LargeWritesGoAsSuperSegmentsThatSegmentIntoValidOnes()
    {
        using var host = new TcpTestHost(hostGso: true);
        var sc = await ScriptedConnection.ActiveAsync(host);
        var data = new byte[100_000];
        Random.Shared.NextBytes(data);
        sc.Acknowledge(sc.PeerAcked, window: 65535);
        await sc.Connection.WriteAsync(data);
        // Every segment passed TestSegment's checksum checks (ours and PacketDotNet's).
        var segments = host.ReadAll();
        Assert.True(host.Gso!.SuperSegments >= 1);
        Assert.All(segments, s => Assert.True(s.Payload.Length <= 1448));
        uint expected = sc.PeerAcked;
        foreach (var s in segments)
        {
            Assert.Equal(expected, s.Seq);
            expected += (uint)s.Payload.Length;
        }
        var sent = segments.SelectMany(s => s.Payload).ToArray();
        Assert.Equal(data.AsSpan(0, sent.Length).ToArray(), sent);
        // Small segments and pure ACKs use the offloaded checksum too.
        sc.SendData([1]);
        host.Advance(TimeSpan.FromMilliseconds(50));
        Assert.NotEmpty(host.ReadAll());
    }
}

public class TcpRouteTests
{
    [Fact]
    public async Task OpenConnectionsLookTheirRouteUpAgainAfterARoutingChange()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        // A new NIC and a more specific route: the stack's routing generation moves. The connection's local
        // address belongs to NIC 1, so (strong host model) its route stays there; sends go on as before.
        using var second = new Netstack.Link.Channel.ChannelEndpoint(mtu: 1000);
        host.Stack.CreateNic(2, second);
        host.Stack.AddAddress(2, new AddressWithPrefix(Address.V4(10, 9, 0, 1), 24));
        host.Stack.AddRoute(Netstack.Stack.RouteEntry.OnLink(new Subnet(TcpTestHost.Peer, 32), 2));
        await sc.Connection.WriteAsync(new byte[3000]);
        var sent = host.ReadAll();
        Assert.Equal(3000, sent.Sum(s => s.Payload.Length));
        Assert.Equal(0, second.DrainOutbound());
        // The local address goes away: no route is left, so the connection keeps the old one and says why if it times out.
        host.Stack.RemoveAddress(1, TcpTestHost.Local);
        await sc.Connection.WriteAsync(new byte[10]);
        Assert.Equal(TcpState.Established, sc.Connection.State);
    }
}
