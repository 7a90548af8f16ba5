using System.Net;
using System.Net.Sockets;
using Netstack.Headers;
using Netstack.Sockets;
using TcpListener = Netstack.Sockets.TcpListener;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

public class TcpHandshakeTests
{
    private static readonly IPEndPoint PeerEndPoint = new(TcpTestHost.Peer.ToIPAddress(), ScriptedConnection.PeerPort);

    [Fact]
    public async Task ActiveOpenSendsSynWithOptionsAndCompletesOnSynAck()
    {
        using var host = new TcpTestHost();
        var connect = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint);
        var syn = host.Read();
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        Assert.Equal(ScriptedConnection.PeerPort, syn.DestinationPort);
        Assert.InRange(syn.SourcePort, (ushort)32768, (ushort)60999);
        var o = syn.ParsedOptions;
        Assert.True(o.HasMss);
        Assert.Equal(1460, o.Mss);
        Assert.True(o.HasWindowScale);
        Assert.True(o.WindowScale >= 7);
        Assert.True(o.SackPermitted);
        Assert.True(o.HasTimestamps);
        Assert.Equal(0u, o.TimestampEcho);
        Assert.Equal(TcpState.SynSent, TcpProtocolTestAccess.SingleConnectionState(host));
        host.Inject(new TestSegment
        {
            SourcePort = ScriptedConnection.PeerPort,
            DestinationPort = syn.SourcePort,
            Seq = 1000,
            Ack = syn.Seq + 1,
            Flags = TcpFlags.Syn | TcpFlags.Ack,
            Window = 29200,
            Options = TestSegment.SynOptions(1400, 7, true, 777, o.TimestampValue),
        });
        var ack = host.Read();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(syn.Seq + 1, ack.Seq);
        Assert.Equal(1001u, ack.Ack);
        Assert.Equal(777u, ack.ParsedOptions.TimestampEcho);
        await using var c = await connect.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TcpState.Established, c.State);
        var stats = c.GetStatistics();
        Assert.True(stats.SackEnabled);
        Assert.True(stats.TimestampsEnabled);
        Assert.Equal(7, stats.SendWindowScale);
        Assert.Equal(1400 - 12, stats.SendMss);
        // RFC 7323 2.2: the SYN-ACK's window is not scaled.
        Assert.Equal(29200, stats.PeerWindow);
        Assert.Equal(TcpTestHost.Peer.ToIPAddress(), c.RemoteEndPoint.Address);
        Assert.Equal(syn.SourcePort, c.LocalEndPoint.Port);
    }

    [Fact]
    public async Task OptionsOffIfPeerDoesNotOfferThem()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, timestamps: false, sack: false, windowScale: -1, mss: 536);
        var stats = sc.Connection.GetStatistics();
        Assert.False(stats.SackEnabled);
        Assert.False(stats.TimestampsEnabled);
        Assert.Equal(0, stats.SendWindowScale);
        Assert.Equal(0, stats.ReceiveWindowScale);
        Assert.Equal(536, stats.SendMss);
        // Without window scaling our window field is the plain byte count.
        await sc.Connection.WriteAsync(new byte[10]);
        var data = sc.Read();
        Assert.Empty(data.Options);
        Assert.Equal(ushort.MaxValue, data.Window);
    }

    [Fact]
    public async Task RstAckInSynSentRefusesTheConnection()
    {
        using var host = new TcpTestHost();
        var connect = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint);
        var syn = host.Read();
        // A RST whose ACK is not acceptable is ignored (RFC 9293 3.10.7.3).
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = syn.SourcePort, Ack = syn.Seq + 5, Flags = TcpFlags.Rst | TcpFlags.Ack });
        Assert.False(connect.IsCompleted);
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = syn.SourcePort, Ack = syn.Seq + 1, Flags = TcpFlags.Rst | TcpFlags.Ack });
        var e = await Assert.ThrowsAsync<SocketException>(() => connect.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Equal(0, host.Tcp.ActiveEndpoints);
        Assert.False(host.Stack.Ports.IsReserved(6, syn.SourcePort));
    }

    [Fact]
    public void UnacceptableAckInSynSentDrawsRst()
    {
        using var host = new TcpTestHost();
        _ = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint);
        var syn = host.Read();
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = syn.SourcePort, Seq = 9, Ack = syn.Seq + 100, Flags = TcpFlags.Syn | TcpFlags.Ack });
        var rst = host.Read();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(syn.Seq + 100, rst.Seq);
    }

    [Fact]
    public async Task SynIsRetransmittedWithExponentialBackoffThenTimesOut()
    {
        using var host = new TcpTestHost(new TcpProtocolOptions { SynRetries = 3 });
        var connect = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint);
        var syn = host.Read();
        double[] expected = [1, 2, 4];
        foreach (double seconds in expected)
        {
            host.Advance(TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(5));
            host.AssertNothingSent();
            host.Advance(TimeSpan.FromMilliseconds(10));
            var again = host.Read();
            Assert.Equal(TcpFlags.Syn, again.Flags);
            Assert.Equal(syn.Seq, again.Seq);
            host.Advance(-TimeSpan.FromMilliseconds(0));
        }
        host.Advance(TimeSpan.FromSeconds(8));
        var e = await Assert.ThrowsAsync<SocketException>(() => connect.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        Assert.Equal(0, host.Tcp.ActiveEndpoints);
        Assert.Equal(0, host.Stack.Timers.Count);
    }

    [Fact]
    public async Task CancellingConnectAbortsTheAttempt()
    {
        using var host = new TcpTestHost();
        using var cts = new CancellationTokenSource();
        var connect = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint, cancellationToken: cts.Token);
        host.Read();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, host.Tcp.ActiveEndpoints);
    }

    [Fact]
    public async Task PassiveOpenAnswersSynAndAcceptsAfterAck()
    {
        using var host = new TcpTestHost();
        var (sc, listener) = await ScriptedConnection.PassiveAsync(host);
        await using var _ = listener;
        Assert.Equal(TcpState.Established, sc.Connection.State);
        Assert.Equal(ScriptedConnection.LocalPort, sc.Connection.LocalEndPoint.Port);
        Assert.Equal(ScriptedConnection.PeerPort, sc.Connection.RemoteEndPoint.Port);
        var stats = sc.Connection.GetStatistics();
        Assert.True(stats.SackEnabled);
        Assert.True(stats.TimestampsEnabled);
        Assert.Equal(7, stats.SendWindowScale);
    }

    [Fact]
    public async Task SynAckMirrorsOnlyTheOptionsThePeerOffered()
    {
        using var host = new TcpTestHost();
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        host.Inject(new TestSegment { SourcePort = 1234, DestinationPort = 80, Seq = 1, Flags = TcpFlags.Syn, Options = TestSegment.SynOptions(1000) });
        var synAck = host.Read();
        var o = synAck.ParsedOptions;
        Assert.True(o.HasMss);
        Assert.False(o.HasWindowScale);
        Assert.False(o.SackPermitted);
        Assert.False(o.HasTimestamps);
        Assert.Equal(2u, synAck.Ack);
    }

    [Fact]
    public async Task SynAckIsRetransmittedAndTheHalfOpenConnectionDropped()
    {
        using var host = new TcpTestHost(new TcpProtocolOptions { SynAckRetries = 2 });
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        host.Inject(new TestSegment { SourcePort = 1234, DestinationPort = 80, Seq = 1, Flags = TcpFlags.Syn, Options = TestSegment.SynOptions() });
        var first = host.Read();
        host.Advance(TimeSpan.FromSeconds(1.01));
        Assert.Equal(first.Seq, host.Read().Seq);
        host.Advance(TimeSpan.FromSeconds(2.01));
        Assert.Equal(first.Seq, host.Read().Seq);
        host.Advance(TimeSpan.FromSeconds(4.01));
        host.AssertNothingSent();
        // Only the listener is left.
        Assert.Equal(1, host.Tcp.ActiveEndpoints);
        Assert.Equal(0, host.Stack.Timers.Count);
    }

    [Fact]
    public async Task DuplicateSynInSynReceivedGetsTheSameSynAck()
    {
        using var host = new TcpTestHost();
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        var syn = new TestSegment { SourcePort = 1234, DestinationPort = 80, Seq = 1, Flags = TcpFlags.Syn, Options = TestSegment.SynOptions() };
        host.Inject(syn);
        var first = host.Read();
        host.Inject(syn);
        var second = host.Read();
        Assert.Equal(first.Seq, second.Seq);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, second.Flags);
    }

    [Fact]
    public async Task RstInSynReceivedDropsTheHalfOpenConnection()
    {
        using var host = new TcpTestHost();
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        host.Inject(new TestSegment { SourcePort = 1234, DestinationPort = 80, Seq = 1, Flags = TcpFlags.Syn, Options = TestSegment.SynOptions() });
        host.Read();
        host.Inject(new TestSegment { SourcePort = 1234, DestinationPort = 80, Seq = 2, Flags = TcpFlags.Rst });
        Assert.Equal(1, host.Tcp.ActiveEndpoints);
        Assert.Equal(0, listener.PendingConnections);
    }

    [Fact]
    public async Task BadAckInSynReceivedDrawsRst()
    {
        using var host = new TcpTestHost();
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        host.Inject(new TestSegment { SourcePort = 1234, DestinationPort = 80, Seq = 1, Flags = TcpFlags.Syn, Options = TestSegment.SynOptions() });
        var synAck = host.Read();
        host.Inject(new TestSegment { SourcePort = 1234, DestinationPort = 80, Seq = 2, Ack = synAck.Seq + 50, Flags = TcpFlags.Ack });
        var rst = host.Read();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(synAck.Seq + 50, rst.Seq);
    }

    [Fact]
    public async Task SimultaneousOpenGoesThroughSynReceived()
    {
        using var host = new TcpTestHost();
        var connect = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint);
        var syn = host.Read();
        // The peer's own SYN crosses ours.
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = syn.SourcePort, Seq = 300, Flags = TcpFlags.Syn, Options = TestSegment.SynOptions(1460, 7, true, 50) });
        var synAck = host.Read();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(syn.Seq, synAck.Seq);
        Assert.Equal(301u, synAck.Ack);
        Assert.Equal(TcpState.SynReceived, TcpProtocolTestAccess.SingleConnectionState(host));
        // Then its SYN-ACK for ours arrives.
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = syn.SourcePort, Seq = 301, Ack = syn.Seq + 1, Flags = TcpFlags.Ack, Options = TestSegment.TimestampOption(51, synAck.ParsedOptions.TimestampValue) });
        await using var c = await connect.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public async Task SimultaneousOpenCompletesOnThePeersSynAck()
    {
        using var host = new TcpTestHost();
        var connect = TcpConnection.ConnectAsync(host.Stack, PeerEndPoint);
        var syn = host.Read();
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = syn.SourcePort, Seq = 300, Flags = TcpFlags.Syn, Window = 1000, Options = TestSegment.SynOptions(1460, 2, true, 50) });
        var synAck = host.Read();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        // The peer was in SYN-SENT too: it answers our SYN with its own SYN-ACK (same ISS), which ends our
        // handshake at once (RFC 9293 figure 7; Linux) rather than drawing a challenge ACK.
        host.Inject(new TestSegment { SourcePort = ScriptedConnection.PeerPort, DestinationPort = syn.SourcePort, Seq = 300, Ack = syn.Seq + 1, Flags = TcpFlags.Syn | TcpFlags.Ack, Window = 1000, Options = TestSegment.SynOptions(1460, 2, true, 51, synAck.ParsedOptions.TimestampValue) });
        var ack = host.Read();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(301u, ack.Ack);
        await using var c = await connect.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(0, host.Tcp.Stats.ChallengeAcks.Value);
        // The SYN's 1000-byte window is not scaled (RFC 7323 2.2): rounded down to the peer's 4-byte unit.
        Assert.Equal(1000, c.GetStatistics().PeerWindow);
        await c.WriteAsync(new byte[10]);
        Assert.Equal(10, host.Read().Payload.Length);
    }

    [Fact]
    public async Task SegmentsToBroadcastOrMulticastAddressesAreDroppedUnanswered()
    {
        using var host = new TcpTestHost();
        await using var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        foreach (var destination in new[] { Address.V4(10, 0, 0, 255), Address.V4(255, 255, 255, 255), Address.V4(224, 0, 0, 1) })
        {
            host.Inject(new TestSegment { Destination = destination, SourcePort = 1234, DestinationPort = 80, Seq = 1, Flags = TcpFlags.Syn });
            host.Inject(new TestSegment { Destination = destination, SourcePort = 1234, DestinationPort = 81, Seq = 1, Flags = TcpFlags.Ack, Ack = 5 });
        }
        host.AssertNothingSent();
        Assert.Equal(0, host.Tcp.Stats.PassiveOpens.Value);
        Assert.True(host.Tcp.Stats.DroppedNotUnicast.Value >= 3, host.Tcp.Stats.DroppedNotUnicast.Value.ToString());
    }

    [Fact]
    public void SegmentsForNoConnectionAreAnsweredWithRst()
    {
        using var host = new TcpTestHost();
        host.Inject(new TestSegment { SourcePort = 1, DestinationPort = 9, Seq = 100, Flags = TcpFlags.Syn, Payload = [1, 2, 3] });
        var rst = host.Read();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(0u, rst.Seq);
        Assert.Equal(104u, rst.Ack);
        host.Inject(new TestSegment { SourcePort = 1, DestinationPort = 9, Seq = 100, Ack = 555, Flags = TcpFlags.Ack });
        rst = host.Read();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(555u, rst.Seq);
        // Never a RST for a RST.
        host.Inject(new TestSegment { SourcePort = 1, DestinationPort = 9, Seq = 100, Flags = TcpFlags.Rst });
        host.AssertNothingSent();
        Assert.Equal(0, host.Ip.IcmpStats.ErrorsSent.Value);
    }

    [Fact]
    public void SegmentsWithBadChecksumOrHeaderAreDroppedAndCounted()
    {
        using var host = new TcpTestHost();
        host.Inject(new TestSegment { SourcePort = 1, DestinationPort = 9, Seq = 100, Flags = TcpFlags.Syn, CorruptChecksum = true });
        host.AssertNothingSent();
        Assert.Equal(1, host.Tcp.Stats.DroppedBadChecksum.Value);
        var frame = new TestSegment { SourcePort = 1, DestinationPort = 9, Flags = TcpFlags.Syn }.ToFrame();
        frame[20 + 12] = 0x40; // data offset 4: below the minimum
        Assert.True(host.Link.InjectFrame(frame));
        host.AssertNothingSent();
        Assert.Equal(1, host.Tcp.Stats.DroppedMalformed.Value);
    }

    [Fact]
    public async Task ListenerStopResetsPendingConnectionsAndFreesThePort()
    {
        using var host = new TcpTestHost();
        var listener = new TcpListener(host.Stack, IPAddress.Any, 80);
        listener.Start();
        host.Inject(new TestSegment { SourcePort = 1234, DestinationPort = 80, Seq = 1, Flags = TcpFlags.Syn });
        var synAck = host.Read();
        host.Inject(new TestSegment { SourcePort = 1234, DestinationPort = 80, Seq = 2, Ack = synAck.Seq + 1, Flags = TcpFlags.Ack });
        Assert.Equal(1, listener.PendingConnections);
        var pendingAccept = new TcpListener(host.Stack, IPAddress.Any, 81);
        pendingAccept.Start();
        var waiting = pendingAccept.AcceptAsync();
        listener.Stop();
        var rst = host.Read();
        Assert.True(rst.Has(TcpFlags.Rst));
        Assert.False(host.Stack.Ports.IsReserved(6, 80));
        pendingAccept.Stop();
        var e = await Assert.ThrowsAsync<SocketException>(() => waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.OperationAborted, e.SocketErrorCode);
        Assert.Equal(0, host.Tcp.ActiveEndpoints);
    }

    [Fact]
    public void ListenerOnBusyPortFails()
    {
        using var host = new TcpTestHost();
        using var a = new TcpListener(host.Stack, IPAddress.Any, 80);
        a.Start();
        using var b = new TcpListener(host.Stack, IPAddress.Any, 80);
        var e = Assert.Throws<SocketException>(() => b.Start());
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        using var c = new TcpListener(host.Stack, IPAddress.Parse("10.9.9.9"), 80);
        e = Assert.Throws<SocketException>(() => c.Start());
        Assert.Equal(SocketError.AddressNotAvailable, e.SocketErrorCode);
    }
}
