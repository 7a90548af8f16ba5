using System.Net;
using Netstack.Headers;
using Netstack.Sockets;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>A connection between the stack under test and a scripted peer, with the peer's sequence bookkeeping.</summary>
internal sealed class ScriptedConnection
{
    public const ushort PeerPort = 40000;
    public const ushort LocalPort = 8080;

    public required TcpTestHost Host { get; init; }
    public required TcpConnection Connection { get; init; }
    public required ushort OurPort { get; init; }
    public required uint OurIss { get; init; }
    public required uint PeerIss { get; init; }

    /// <summary>The peer's next sequence number.</summary>
    public uint PeerNext { get; set; }

    /// <summary>What the peer has acknowledged of ours.</summary>
    public uint PeerAcked { get; set; }

    public bool Timestamps { get; init; }

    public uint PeerTsVal { get; set; } = 1000;

    public uint LastOurTsVal { get; set; }

    public ushort PeerWindow { get; set; } = 65535;

    /// <summary>Opens a connection from the stack (active open) to the scripted peer.</summary>
    public static async Task<ScriptedConnection> ActiveAsync(TcpTestHost host, TcpConnectionSettings? settings = null, bool timestamps = true, bool sack = true, int windowScale = 7, ushort mss = 1460, uint peerIss = 5000, ushort peerWindow = 65535)
    {
        var connect = TcpConnection.ConnectAsync(host.Stack, new IPEndPoint(TcpTestHost.Peer.ToIPAddress(), PeerPort), settings);
        var syn = host.Read();
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        var synOptions = syn.ParsedOptions;
        uint tsVal = 1000;
        host.Inject(new TestSegment
        {
            SourcePort = PeerPort,
            DestinationPort = syn.SourcePort,
            Seq = peerIss,
            Ack = syn.Seq + 1,
            Flags = TcpFlags.Syn | TcpFlags.Ack,
            Window = peerWindow,
            Options = TestSegment.SynOptions(mss, windowScale, sack, timestamps ? tsVal : null, synOptions.TimestampValue),
        });
        var ack = host.Read();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(peerIss + 1, ack.Ack);
        var connection = await connect.WaitAsync(TimeSpan.FromSeconds(5));
        return new ScriptedConnection
        {
            Host = host,
            Connection = connection,
            OurPort = syn.SourcePort,
            OurIss = syn.Seq,
            PeerIss = peerIss,
            PeerNext = peerIss + 1,
            PeerAcked = syn.Seq + 1,
            Timestamps = timestamps,
            PeerTsVal = tsVal,
            LastOurTsVal = timestamps ? ack.ParsedOptions.TimestampValue : 0,
            PeerWindow = peerWindow,
        };
    }

    /// <summary>Opens a connection from the scripted peer to a listener of the stack (passive open).</summary>
    public static async Task<(ScriptedConnection Connection, TcpListener Listener)> PassiveAsync(TcpTestHost host, TcpConnectionSettings? settings = null, bool timestamps = true, bool sack = true, int windowScale = 7, uint peerIss = 7000)
    {
        var listener = new TcpListener(host.Stack, IPAddress.Any, LocalPort, settings);
        listener.Start();
        uint tsVal = 500;
        host.Inject(new TestSegment
        {
            SourcePort = PeerPort,
            DestinationPort = LocalPort,
            Seq = peerIss,
            Flags = TcpFlags.Syn,
            Options = TestSegment.SynOptions(1460, windowScale, sack, timestamps ? tsVal : null),
        });
        var synAck = host.Read();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(peerIss + 1, synAck.Ack);
        var accept = listener.AcceptAsync();
        host.Inject(new TestSegment
        {
            SourcePort = PeerPort,
            DestinationPort = LocalPort,
            Seq = peerIss + 1,
            Ack = synAck.Seq + 1,
            Flags = TcpFlags.Ack,
            Window = 65535,
            Options = timestamps ? TestSegment.TimestampOption(tsVal + 1, synAck.ParsedOptions.TimestampValue) : [],
        });
        var connection = await accept.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        var sc = new ScriptedConnection
        {
            Host = host,
            Connection = connection,
            OurPort = LocalPort,
            OurIss = synAck.Seq,
            PeerIss = peerIss,
            PeerNext = peerIss + 1,
            PeerAcked = synAck.Seq + 1,
            Timestamps = timestamps,
            PeerTsVal = tsVal + 1,
            LastOurTsVal = timestamps ? synAck.ParsedOptions.TimestampValue : 0,
        };
        return (sc, listener);
    }

    /// <summary>A segment from the peer with the current sequence numbers (and timestamps when negotiated).</summary>
    public TestSegment Segment(TcpFlags flags = TcpFlags.Ack, byte[]? payload = null, uint? seq = null, uint? ack = null, ushort? window = null, byte[]? extraOptions = null)
    {
        var options = new List<byte>();
        if (Timestamps)
        {
            options.AddRange(TestSegment.TimestampOption(PeerTsVal, LastOurTsVal));
        }
        if (extraOptions is not null)
        {
            options.AddRange(extraOptions);
        }
        return new TestSegment
        {
            SourcePort = PeerPort,
            DestinationPort = OurPort,
            Seq = seq ?? PeerNext,
            Ack = ack ?? PeerAcked,
            Flags = flags,
            Window = window ?? PeerWindow,
            Options = [.. options],
            Payload = payload ?? [],
        };
    }

    /// <summary>The peer sends data (advancing its sequence number).</summary>
    public void SendData(byte[] payload, TcpFlags flags = TcpFlags.Ack | TcpFlags.Psh)
    {
        Host.Inject(Segment(flags, payload));
        PeerNext += (uint)payload.Length;
    }

    /// <summary>The peer acknowledges everything up to <paramref name="ack"/>.</summary>
    public void Acknowledge(uint ack, ushort? window = null)
    {
        PeerAcked = ack;
        Host.Inject(Segment(TcpFlags.Ack, ack: ack, window: window));
    }

    /// <summary>Reads the stack's next segment and remembers its TSval for echoing.</summary>
    public TestSegment Read()
    {
        var s = Host.Read();
        Remember(s);
        return s;
    }

    public async Task<TestSegment> ReadAsync()
    {
        var s = await Host.ReadAsync();
        Remember(s);
        return s;
    }

    public void Remember(TestSegment s)
    {
        if (Timestamps && s.ParsedOptions.HasTimestamps)
        {
            LastOurTsVal = s.ParsedOptions.TimestampValue;
        }
    }
}
