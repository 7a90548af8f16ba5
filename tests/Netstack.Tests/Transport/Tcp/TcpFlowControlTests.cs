using System.Buffers.Binary;
using System.Net.Sockets;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// Silly-window avoidance on both sides (RFC 9293 3.8.6.2), the persist timer's limits, the flow hash on
/// every segment, and checksum offload in both directions.
/// </summary>
public class TcpFlowControlTests
{
    [Fact]
    public async Task SenderHoldsAWindowFragmentUntilTheOverrideTimeoutThenSendsWhatFits()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, windowScale: -1);
        // The peer offered 65,535 bytes; now only 1,000 are open (less than an MSS and half the largest window).
        sc.Acknowledge(sc.PeerAcked, window: 1000);
        await sc.Connection.WriteAsync(new byte[5000]);
        host.AssertNothingSent();
        host.Advance(TimeSpan.FromMilliseconds(190));
        host.AssertNothingSent();
        host.Advance(TimeSpan.FromMilliseconds(20));
        var fragment = sc.Read();
        Assert.Equal(1000, fragment.Payload.Length);
        Assert.Equal(sc.PeerAcked, fragment.Seq);
        // Its ACK opens the window fully: the rest goes at once.
        sc.Acknowledge(sc.PeerAcked + 1000, window: 65535);
        Assert.Equal(4000, host.ReadAll().Sum(s => s.Payload.Length));
    }

    [Fact]
    public async Task SenderSendsAWindowFragmentOfAtLeastHalfTheLargestWindowAtOnce()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, windowScale: -1, peerWindow: 1200);
        await sc.Connection.WriteAsync(new byte[5000]);
        // 1,200 bytes is the whole of what this peer ever offers: it goes (not silly for this receiver).
        Assert.Equal(1200, sc.Read().Payload.Length);
    }

    [Fact]
    public async Task ReceiverKeepsTheWindowClosedUntilAnMssOrHalfTheBufferIsFree()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host, new TcpConnectionSettings { ReceiveBufferSize = 8192 }, windowScale: -1);
        for (int i = 0; i < 8; i++)
        {
            sc.SendData(new byte[1024]);
        }
        host.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(0, host.ReadAll()[^1].Window);
        var buffer = new byte[8192];
        Assert.Equal(1000, await sc.Connection.ReadAsync(buffer.AsMemory(0, 1000)));
        host.AssertNothingSent();
        // A zero-window probe draws an ACK, still advertising zero: 1,000 free bytes are less than an MSS (1,024 here).
        host.Inject(sc.Segment(seq: sc.PeerNext - 1));
        Assert.Equal(0, sc.Read().Window);
        // Once an MSS is free the window opens, with an update at once.
        Assert.Equal(100, await sc.Connection.ReadAsync(buffer.AsMemory(0, 100)));
        var update = sc.Read();
        Assert.Equal(1100, update.Window);
        Assert.Equal(sc.PeerNext, update.Ack);
    }

    [Fact]
    public async Task ProbesOfAZeroWindowThatGetNoAnswerEndTheConnection()
    {
        using var host = new TcpTestHost(new TcpProtocolOptions { MaxRetransmits = 4 });
        var sc = await ScriptedConnection.ActiveAsync(host);
        sc.Acknowledge(sc.PeerAcked, window: 0);
        await sc.Connection.WriteAsync(new byte[100]);
        var read = sc.Connection.ReadAsync(new byte[1]).AsTask();
        int probes = 0;
        for (int i = 0; i < 200 && sc.Connection.State != TcpState.Closed; i++)
        {
            host.Advance(TimeSpan.FromMilliseconds(100));
            probes += host.ReadAll().Count;
        }
        Assert.Equal(4, probes);
        var e = await Assert.ThrowsAsync<SocketException>(() => read.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
    }

    [Fact]
    public async Task EverySegmentOfAConnectionCarriesItsOwnRandomFlowHash()
    {
        using var host = new TcpTestHost();
        var first = await ScriptedConnection.ActiveAsync(host);
        var second = await ScriptedConnection.ActiveAsync(host);
        Assert.NotEqual(first.Connection.FlowHash, second.Connection.FlowHash);
        await first.Connection.WriteAsync(new byte[4000]);
        await second.Connection.WriteAsync(new byte[4000]);
        first.SendData([1]);
        host.Advance(TimeSpan.FromMilliseconds(50));
        int seen = 0;
        while (host.Link.TryReadOutbound() is { } packet)
        {
            try
            {
                var segment = TestSegment.FromFrame(packet.ToArray());
                var owner = segment.SourcePort == first.OurPort ? first : second;
                Assert.Equal(owner.Connection.FlowHash, packet.Hash);
                seen++;
            }
            finally
            {
                packet.Release();
            }
        }
        Assert.True(seen >= 7, seen.ToString());
    }

    [Fact]
    public async Task WithTxChecksumOffloadSegmentsCarryAPartialChecksumForTheLink()
    {
        using var host = new TcpTestHost(capabilities: LinkCapabilities.TxChecksumOffload);
        var connect = Netstack.Sockets.TcpConnection.ConnectAsync(host.Stack, new System.Net.IPEndPoint(TcpTestHost.Peer.ToIPAddress(), ScriptedConnection.PeerPort));
        var syn = host.Link.TryReadOutbound()!;
        try
        {
            Assert.True(syn.Gso.NeedsChecksum);
            Assert.Equal(TcpHeader.ChecksumOffset, syn.Gso.ChecksumOffset);
            var frame = syn.ToArray();
            var tcp = frame.AsSpan(20);
            // CHECKSUM_PARTIAL: the field holds the pseudo-header sum; the link finishes the rest.
            Assert.Equal(Checksum.PseudoHeaderSum(TcpTestHost.Local, TcpTestHost.Peer, 6, tcp.Length), BinaryPrimitives.ReadUInt16BigEndian(tcp[16..]));
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Checksum.Compute(tcp, Checksum.PseudoHeaderSum(TcpTestHost.Local, TcpTestHost.Peer, 6, tcp.Length)));
            Assert.Equal(TcpFlags.Syn, TestSegment.FromFrame(frame).Flags);
        }
        finally
        {
            syn.Release();
        }
        host.AssertNothingSent();
        _ = connect;
    }

    [Fact]
    public async Task AChecksumTheLinkValidatedIsNotCheckedAgain()
    {
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        var frame = sc.Segment(TcpFlags.Ack | TcpFlags.Psh, [9, 9]) with { CorruptChecksum = true };
        // Without the link's word the segment is dropped...
        host.Inject(frame);
        Assert.Equal(1, host.Tcp.Stats.DroppedBadChecksum.Value);
        // ...with RX checksum offload (the NIC checked it) it is taken as it is.
        var packet = PacketBuffer.Rent(0, frame.ToFrame());
        try
        {
            packet.RxChecksumValidated = true;
            Assert.True(host.Link.InjectFrame(packet));
        }
        finally
        {
            packet.Release();
        }
        sc.PeerNext += 2;
        var buffer = new byte[4];
        Assert.Equal(2, await sc.Connection.ReadAsync(buffer));
        Assert.Equal(1, host.Tcp.Stats.DroppedBadChecksum.Value);
    }
}
