using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using Netstack.Buffers;
using Netstack.Link.Channel;
using Netstack.Network.Arp;
using Netstack.Network.IPv4;
using Netstack.Network.IPv6;
using Netstack.Stack;
using Netstack.Stack.Neighbors;
using Netstack.Transport.Tcp;
using Netstack.Transport.Udp;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// The system under fuzzing: one full stack (IPv4, ARP, IPv6 with NDP, DAD and router discovery, UDP) with a
/// fake clock on a <see cref="ChannelEndpoint"/>, in Ethernet mode (a MAC, neighbour resolution) or TUN-like
/// (no link header). It has addresses, static neighbours for the peer, UDP sockets (bound on port 7 with
/// broadcast and multicast groups, connected ones that hear ICMP errors) and small limits so that a short
/// case reaches every bound. <see cref="CheckInvariants"/> and <see cref="CheckLiveness"/> are what every
/// fuzz case must leave true.
/// </summary>
internal sealed class FuzzHost : IDisposable
{
    public static readonly Address Us4 = Address.Parse("10.0.0.2");
    public static readonly Address Peer4 = Address.Parse("10.0.0.1");
    public static readonly Address Us6 = Address.Parse("fd00::2");
    public static readonly Address Peer6 = Address.Parse("fd00::1");
    public static readonly Address Group4 = Address.Parse("239.1.2.3");
    public static readonly Address Group6 = Address.Parse("ff15::1234");
    public static readonly LinkAddress OurMac = LinkAddress.Parse("52:54:00:12:34:56");
    public static readonly LinkAddress PeerMac = LinkAddress.Parse("02:00:00:00:00:01");
    public static readonly Address OurLinkLocal = Ipv6Address.LinkLocal(OurMac);
    // Outside the subnets the generators draw sources from: a datagram from an address that becomes ours while
    // it is being answered would be answered through the loopback path (a race with configuration, not a spoof).
    public static readonly Address Spare4 = Address.Parse("10.9.9.9");
    public static readonly Address Spare6 = Address.Parse("fd09::9");
    public const ushort TcpPort = 80;
    public const ushort TcpLivenessPort = 81;
    public const ushort TcpClosedPort = 7777;
    public const ushort TcpPeerPort = 5555;
    public const ushort TcpEstablishedPeerPort = 6666;
    public const ushort EchoPort = 7;
    public const ushort ConnectedPort = 5000;
    public const ushort PeerPort = 5001;

    private readonly List<Exception> _faults = new();
    private readonly List<UdpEndpoint> _sockets = new();
    private bool _disposed;

    public FuzzHost(bool ethernet, FuzzLimits limits, TimeProvider? clock = null)
    {
        Limits = limits;
        Ethernet = ethernet;
        Clock = clock ?? new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Stack = new NetworkStack(new StackOptions
        {
            TimeProvider = Clock,
            Neighbors = new NeighborOptions
            {
                MaxEntries = limits.NeighborEntries,
                MaxPendingPacketsPerEntry = limits.PendingPerNeighbor,
            },
            NetworkProtocols =
            [
                s => new Ipv4Protocol(s, limits.Ipv4),
                s => new ArpProtocol(s),
                s => new Ipv6Protocol(s, limits.Ipv6),
            ],
            TransportProtocols = [s => new UdpProtocol(s), s => new TcpProtocol(s, limits.Tcp)],
        });
        Stack.HandlerFault += (_, e) =>
        {
            lock (_faults)
            {
                _faults.Add(e);
            }
        };
        Link = new ChannelEndpoint(limits.Mtu, ethernet ? OurMac : default);
        Nic = Stack.CreateNic(1, Link);
        Stack.AddAddress(1, new AddressWithPrefix(Us4, 24));
        Stack.AddAddress(1, new AddressWithPrefix(Us6, 64));
        Ip4 = (Ipv4Protocol)Stack.GetNetworkProtocol(NetworkProtocolNumber.IPv4)!;
        Ip6 = (Ipv6Protocol)Stack.GetNetworkProtocol(NetworkProtocolNumber.IPv6)!;
        Udp = UdpProtocol.Of(Stack);
        Tcp = TcpProtocol.From(Stack);
        Tcp.InternalError += e =>
        {
            lock (_faults)
            {
                _faults.Add(e);
            }
        };
        if (ethernet)
        {
            Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!.AddStatic(Peer4, PeerMac);
            Nic.GetNeighborCache(NetworkProtocolNumber.IPv6)!.AddStatic(Peer6, PeerMac);
        }
        // DAD (1 s) and the first router solicitations.
        Pass(TimeSpan.FromSeconds(2));
        Link.DrainOutbound();

        Echo4 = Open(NetworkProtocolNumber.IPv4, new FullAddress(Address.AnyV4, EchoPort));
        Echo4.Broadcast = true;
        Check(Echo4.JoinGroup(Group4, 1));
        Echo6 = Open(NetworkProtocolNumber.IPv6, new FullAddress(Address.AnyV6, EchoPort));
        Check(Echo6.JoinGroup(Group6, 1));
        Connected4 = Open(NetworkProtocolNumber.IPv4, new FullAddress(Address.AnyV4, ConnectedPort));
        Check(Connected4.Connect(new FullAddress(Peer4, PeerPort)));
        Connected6 = Open(NetworkProtocolNumber.IPv6, new FullAddress(Address.AnyV6, ConnectedPort));
        Check(Connected6.Connect(new FullAddress(Peer6, PeerPort)));

        // TCP: a listener the fuzz aims at (nobody accepts: its queue fills), one for the liveness check, and a
        // connection the host opens to the peer (the fuzz may answer its SYN).
        var settings = Tcp.Options.DefaultConnectionSettings;
        _demuxBaseline = Stack.Demuxer.Count;
        foreach (var any in (Address[])[Address.AnyV4, Address.AnyV6])
        {
            Check(TcpListenEndpoint.Listen(Tcp, settings, any, TcpPort, limits.TcpBacklog, out var listener));
            _listeners.Add(listener!);
            Check(TcpListenEndpoint.Listen(Tcp, settings, any, TcpLivenessPort, 64, out var live));
            _listeners.Add(live!);
        }
        Check(TcpEndpoint.Connect(Tcp, settings, Peer4, TcpPeerPort, default, 0, 0, out var active4));
        Check(TcpEndpoint.Connect(Tcp, settings, Peer6, TcpPeerPort, default, 0, 0, out var active6));
        _active.Add(active4!);
        _active.Add(active6!);
        DrainAndCheckOutput();
        // An established connection per family the fuzz aims at (TcpTarget.Established).
        _established.Add(OpenTcp(v6: false, TcpEstablishedPeerPort));
        _established.Add(OpenTcp(v6: true, TcpEstablishedPeerPort));
    }

    private readonly int _demuxBaseline;
    private readonly List<TcpEndpoint> _established = new();

    /// <summary>
    /// Opens a connection from the peer to the liveness listener (SYN, SYN-ACK, ACK) and accepts it; the flow's
    /// sequence numbers are then known (<see cref="TcpNext"/>).
    /// </summary>
    public TcpEndpoint OpenTcp(bool v6, ushort peerPort)
    {
        var listener = _listeners[v6 ? 3 : 1];
        const uint isn = 0x2000_0000;
        Inject(TcpFrame(v6, peerPort, TcpLivenessPort, isn, 0, 0x02, [], options: [2, 4, 5, 180, 1, 3, 3, 7, 4, 2]));
        var (ourNext, peerNext) = TcpNext(v6, peerPort, TcpLivenessPort);
        if (peerNext != isn + 1)
        {
            throw new FuzzInvariantException($"liveness: no SYN-ACK from the TCP listener over IPv{(v6 ? 6 : 4)} to port {peerPort}");
        }
        Inject(TcpFrame(v6, peerPort, TcpLivenessPort, isn + 1, ourNext, 0x10, []));
        // The fuzz may have completed handshakes of its own on this listener (its sessions aim at port 81 from
        // 6666): those are queued first; take them (they are closed) until ours.
        while (true)
        {
            var accept = listener.AcceptAsync(CancellationToken.None);
            if (!accept.IsCompleted || accept.Result is not { } ep)
            {
                throw new FuzzInvariantException($"liveness: the TCP listener accepted nothing over IPv{(v6 ? 6 : 4)} from port {peerPort}");
            }
            if (ep.Id.RemotePort == peerPort && ep.State == TcpState.Established)
            {
                return ep;
            }
            ep.Abort();
            DrainAndCheckOutput();
        }
    }

    /// <summary>
    /// TCP still carries data after hostile input: a connection opened now, and the one the fuzz attacked while
    /// it is still established, move bytes both ways. What a hostile peer may legitimately cause is tolerated:
    /// segments split by a path MTU lowered by forged ICMP, a window it narrowed, timers it backed off; bytes are
    /// gathered until all have arrived, within a deadline on the fuzz clock.
    /// </summary>
    public void CheckTcpData()
    {
        foreach (bool v6 in (bool[])[false, true])
        {
            ushort port = _livenessPort++;
            var fresh = OpenTcp(v6, port);
            ExchangeData(fresh, v6, port, "a new connection");
            fresh.Abort();
            DrainAndCheckOutput();
            var attacked = _established[v6 ? 1 : 0];
            if (attacked.State == TcpState.Established)
            {
                ExchangeData(attacked, v6, TcpEstablishedPeerPort, "the connection the fuzz attacked");
            }
        }
    }

    private void ExchangeData(TcpEndpoint ep, bool v6, ushort peerPort, string what)
    {
        const int Size = 3000;
        var key = (v6, v6 ? Peer6 : Peer4, TcpLivenessPort, peerPort);
        var flow = _flows[key];
        var buffer = new byte[65536];
        // Whatever the fuzz left in the receive queue goes first (nobody read it), so the window is open.
        while (ep.GetStatistics().ReceiveQueueLength > 0)
        {
            ep.ReadAsync(buffer, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
        var data = new byte[Size];
        for (int i = 0; i < Size; i++)
        {
            data[i] = (byte)(i * 7 + peerPort);
        }

        // Host to peer: the peer acknowledges what arrived in order (with a wide window) until all of it has.
        uint start = flow.OurNext;
        var write = ep.WriteAsync(data, CancellationToken.None);
        if (!write.IsCompleted || write.Result != Size)
        {
            throw new FuzzInvariantException($"tcp liveness: a write on {what} over IPv{(v6 ? 6 : 4)} did not complete");
        }
        var got = new byte[Size];
        var have = new bool[Size];
        int contiguous = 0;
        long deadline = 0;
        int step = 200;
        DrainAndCheckOutput();
        while (contiguous < Size)
        {
            // What the host wrote since the last look (the write, the last ACK, the timers).
            foreach (var frame in LastOutput)
            {
                CollectPayload(frame, v6, peerPort, start, got, have);
            }
            while (contiguous < Size && have[contiguous])
            {
                contiguous++;
            }
            Inject(TcpFrame(v6, peerPort, TcpLivenessPort, flow.PeerNext, start + (uint)contiguous, 0x10, []));
            foreach (var frame in LastOutput)
            {
                CollectPayload(frame, v6, peerPort, start, got, have);
            }
            // The same ACK from a peer that has moved on: at the right edge of the host's window. The fuzz may have
            // set the window (to zero, or narrow) with a segment far ahead of RCV.NXT, and RFC 9293 takes window
            // updates only from segments at or past it (SND.WL1); a real peer's sequence numbers get there.
            uint edge = flow.PeerNext + (uint)(flow.Window << ep.GetStatistics().ReceiveWindowScale);
            Inject(TcpFrame(v6, peerPort, TcpLivenessPort, edge, start + (uint)contiguous, 0x10, []));
            foreach (var frame in LastOutput)
            {
                CollectPayload(frame, v6, peerPort, start, got, have);
            }
            while (contiguous < Size && have[contiguous])
            {
                contiguous++;
            }
            if (contiguous == Size)
            {
                break;
            }
            if (ep.SendStallReason() is { } stall)
            {
                throw new FuzzInvariantException($"tcp liveness: {what} over IPv{(v6 ? 6 : 4)} cannot send: {stall}");
            }
            if (deadline > 15 * 60 * 1000 || ep.State != TcpState.Established)
            {
                throw new FuzzInvariantException($"tcp liveness: {contiguous} of {Size} bytes written on {what} over IPv{(v6 ? 6 : 4)} arrived in {deadline} ms ({Describe(ep)})");
            }
            Advance(step);
            deadline += step;
            step = Math.Min(step * 2, 30_000);
        }
        if (!got.AsSpan().SequenceEqual(data))
        {
            throw new FuzzInvariantException($"tcp liveness: the bytes written on {what} over IPv{(v6 ? 6 : 4)} arrived corrupted");
        }

        // Peer to host: segments from what the host expects, sent again until the host has read them all.
        uint peerStart = flow.PeerNext;
        int read = 0;
        var received = new byte[Size];
        deadline = 0;
        step = 200;
        while (read < Size)
        {
            int acked = (int)(flow.PeerNext - peerStart);
            if (acked < 0 || acked > Size)
            {
                throw new FuzzInvariantException($"tcp liveness: {what} over IPv{(v6 ? 6 : 4)} acknowledged {acked} of {Size} bytes");
            }
            for (int off = acked; off < Size; off += 1000)
            {
                int n = Math.Min(1000, Size - off);
                Inject(TcpFrame(v6, peerPort, TcpLivenessPort, peerStart + (uint)off, flow.OurNext, 0x18, data[off..(off + n)]));
            }
            while (ep.GetStatistics().ReceiveQueueLength > 0)
            {
                // Bytes past ours (out of order ones the fuzz sent further on, now in order) are read and dropped.
                int n = ep.ReadAsync(buffer, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                int keep = Math.Clamp(Size - read, 0, n);
                buffer.AsSpan(0, keep).CopyTo(received.AsSpan(read));
                read += keep;
            }
            if (read == Size)
            {
                break;
            }
            // A FIN the fuzz sent out of order earlier became in order once our bytes filled the gap before it: the
            // peer's stream legitimately ends there (RFC 9293 3.10.7.4), and the host read everything up to it.
            if (peerPort == TcpEstablishedPeerPort && ep.State == TcpState.CloseWait && ep.GetStatistics().ReceiveQueueLength == 0)
            {
                break;
            }
            if (deadline > 15 * 60 * 1000 || ep.State != TcpState.Established)
            {
                throw new FuzzInvariantException($"tcp liveness: {read} of {Size} bytes sent to {what} over IPv{(v6 ? 6 : 4)} were read in {deadline} ms ({Describe(ep)})");
            }
            Advance(step);
            deadline += step;
            step = Math.Min(step * 2, 30_000);
        }
        // Only on a new connection are the bytes compared: the fuzz may have sent the attacked one other bytes
        // for the same sequence numbers out of order, and a receiver keeps the first copy it holds.
        if (peerPort != TcpEstablishedPeerPort && !received.AsSpan().SequenceEqual(data))
        {
            throw new FuzzInvariantException($"tcp liveness: the bytes sent to {what} over IPv{(v6 ? 6 : 4)} were read corrupted");
        }
        // Let the last ACK out (delayed) so the flow's numbers are current.
        Advance(250);
    }

    private static string Describe(TcpEndpoint ep)
    {
        var s = ep.GetStatistics();
        return $"{s.State}, peer window {s.PeerWindow}, in flight {s.BytesInFlight}, send queue {s.SendQueueLength}, cwnd {s.CongestionWindow}, mss {s.SendMss}, receive queue {s.ReceiveQueueLength}";
    }

    // Copies the payload of a segment the host wrote on the flow into got/have, relative to start.
    private void CollectPayload(byte[] frame, bool v6, ushort peerPort, uint start, byte[] got, bool[] have)
    {
        var p = Ethernet ? frame.AsSpan(Math.Min(14, frame.Length)) : frame.AsSpan();
        ReadOnlySpan<byte> t;
        if (v6 && p.Length >= 40 && p[0] >> 4 == 6 && p[6] == Wire.Tcp)
        {
            t = p[40..(40 + BinaryPrimitives.ReadUInt16BigEndian(p[4..]))];
        }
        else if (!v6 && p.Length >= 20 && p[0] >> 4 == 4 && p[9] == Wire.Tcp)
        {
            t = p[((p[0] & 0x0F) * 4)..BinaryPrimitives.ReadUInt16BigEndian(p[2..])];
        }
        else
        {
            return;
        }
        if (t.Length < 20 || BinaryPrimitives.ReadUInt16BigEndian(t) != TcpLivenessPort || BinaryPrimitives.ReadUInt16BigEndian(t[2..]) != peerPort)
        {
            return;
        }
        int headerLength = (t[12] >> 4) * 4;
        int offset = (int)(BinaryPrimitives.ReadUInt32BigEndian(t[4..]) - start);
        var payload = t[headerLength..];
        for (int i = 0; i < payload.Length; i++)
        {
            if (offset + i >= 0 && offset + i < got.Length)
            {
                got[offset + i] = payload[i];
                have[offset + i] = true;
            }
        }
    }

    /// <summary>A TCP segment from the peer (<paramref name="v6"/>) to <paramref name="ourPort"/>, framed, <paramref name="padding"/> bytes after the IP packet.</summary>
    public byte[] TcpFrame(bool v6, ushort peerPort, ushort ourPort, uint seq, uint ack, byte flags, byte[] payload,
        ushort window = 65535, byte[]? options = null, int padding = 0)
    {
        var src = v6 ? Peer6 : Peer4;
        var dst = v6 ? Us6 : Us4;
        var segment = Wire.TcpSegment(src, dst, peerPort, ourPort, seq, ack, flags, window, options ?? [], payload);
        byte[] ip = v6 ? Wire.Ipv6(src, dst, Wire.Tcp, segment) : Wire.Ipv4(src, dst, Wire.Tcp, segment);
        return Frame(padding > 0 ? [.. ip, .. new byte[padding]] : ip);
    }

    /// <summary>On a flow with the peer: the host's next sequence number and the next one it expects from the peer.</summary>
    public (uint OurNext, uint PeerNext) TcpNext(bool v6, ushort peerPort, ushort ourPort) =>
        _flows.TryGetValue((v6, v6 ? Peer6 : Peer4, ourPort, peerPort), out var f) ? (f.OurNext, f.PeerNext) : (0, 0);

    /// <summary>The established connections the fuzz aims at (IPv4, IPv6).</summary>
    public IReadOnlyList<TcpEndpoint> EstablishedTcp => _established;

    private readonly List<TcpListenEndpoint> _listeners = new();
    private readonly List<TcpEndpoint> _active = new();
    private readonly Dictionary<(bool V6, Address Peer, ushort OurPort, ushort PeerPort), TcpFlow> _flows = new();
    private uint _peerTsVal = 1;
    private ushort _livenessPort = 40_000;

    /// <summary>What the host last said on a TCP flow (from the segments it wrote).</summary>
    private sealed class TcpFlow
    {
        public uint OurNext;
        public uint PeerNext;
        public bool HavePeerNext;
        public uint OurTsVal;
        public ushort Window;
    }

    public TcpProtocol Tcp { get; }

    /// <summary>Delivers a TCP segment described relative to the flow (see <see cref="TcpSpec"/>).</summary>
    public void InjectTcp(TcpSpec spec)
    {
        bool v6 = spec.V6;
        var src = spec.Source == 0 ? (v6 ? Peer6 : Peer4)
            : v6 ? Address.FromV6(0xFD00_0000_0000_0000, 0x100UL + (ulong)spec.Source) : Address.V4(10, 0, 0, (byte)(100 + spec.Source % 100));
        var dst = v6 ? Us6 : Us4;
        ushort ourPort = spec.Target switch
        {
            TcpTarget.Listener => TcpPort,
            TcpTarget.Active => _active[v6 ? 1 : 0].Id.LocalPort,
            TcpTarget.Established => TcpLivenessPort,
            _ => TcpClosedPort,
        };
        ushort peerPort = spec.Target switch
        {
            TcpTarget.Active => TcpPeerPort,
            TcpTarget.Established => TcpEstablishedPeerPort,
            _ => spec.PeerPort,
        };
        if (spec.Target == TcpTarget.Established)
        {
            src = v6 ? Peer6 : Peer4;
        }
        _flows.TryGetValue((v6, src, ourPort, peerPort), out var flow);
        uint seq = (spec.Seq == SeqBase.PeerNext && flow is { HavePeerNext: true } ? flow.PeerNext : spec.RandomSeq) + (uint)spec.SeqDelta;
        uint ack = (spec.Ack == AckBase.OurNext && flow is not null ? flow.OurNext : spec.RandomAck) + (uint)spec.AckDelta;
        var options = (byte[])spec.Options.Clone();
        if (spec.EchoTimestamp)
        {
            for (int i = 0; i + 10 <= options.Length; i++)
            {
                if (options[i] == 8 && options[i + 1] == 10)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(i + 2), _peerTsVal += 7);
                    BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(i + 6), flow?.OurTsVal ?? 0);
                    break;
                }
            }
        }
        var segment = Wire.TcpSegment(src, dst, peerPort, ourPort, seq, ack, spec.Flags, spec.Window, options, spec.Payload, spec.Urgent);
        var frame = Frame(v6 ? Wire.Ipv6(src, dst, Wire.Tcp, segment) : Wire.Ipv4(src, dst, Wire.Tcp, segment));
        if (spec.Mutations > 0)
        {
            frame = Mutator.Mutate(new FuzzRandom(new CsCheck.PCG(3, spec.MutationSeed)), frame, spec.Mutations);
        }
        if (spec.FixChecksum)
        {
            ChecksumFixer.Fix(frame, Ethernet);
        }
        Inject(frame);
    }

    // Learns what the host said on each TCP flow: its next sequence number, what it expects, its timestamp.
    private void TrackTcp(byte[] frame)
    {
        var p = Ethernet ? frame.AsSpan(Math.Min(14, frame.Length)) : frame.AsSpan();
        bool v6;
        Address peer;
        ReadOnlySpan<byte> t;
        if (p.Length >= 40 && p[0] >> 4 == 6 && p[6] == Wire.Tcp)
        {
            v6 = true;
            peer = Address.ReadV6(p[24..]);
            t = p[40..];
        }
        else if (p.Length >= 20 && p[0] >> 4 == 4 && p[9] == Wire.Tcp && (BinaryPrimitives.ReadUInt16BigEndian(p[6..]) & 0x3FFF) == 0)
        {
            v6 = false;
            peer = Address.ReadV4(p[16..]);
            t = p[((p[0] & 0x0F) * 4)..];
        }
        else
        {
            return;
        }
        if (t.Length < 20)
        {
            return;
        }
        int headerLength = (t[12] >> 4) * 4;
        if (headerLength < 20 || headerLength > t.Length)
        {
            return;
        }
        var key = (v6, peer, BinaryPrimitives.ReadUInt16BigEndian(t), BinaryPrimitives.ReadUInt16BigEndian(t[2..]));
        bool isNew = !_flows.TryGetValue(key, out var flow);
        if (flow is null)
        {
            if (_flows.Count > 4096)
            {
                _flows.Clear();
            }
            flow = new TcpFlow();
            _flows.Add(key, flow);
        }
        byte flags = t[13];
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(t[4..]);
        uint end = seq + (uint)(t.Length - headerLength) + ((flags & 0x02) != 0 ? 1u : 0) + ((flags & 0x01) != 0 ? 1u : 0);
        // A retransmission does not move it back, a SYN starts a new sequence space, a RST (its sequence number
        // may come from the segment it answers) moves it only on a flow not seen before.
        if ((flags & 0x04) != 0 ? isNew : (flags & 0x02) != 0 || (int)(end - flow.OurNext) > 0)
        {
            flow.OurNext = end;
        }
        if ((flags & 0x10) != 0)
        {
            flow.PeerNext = BinaryPrimitives.ReadUInt32BigEndian(t[8..]);
            flow.HavePeerNext = true;
            flow.Window = BinaryPrimitives.ReadUInt16BigEndian(t[14..]);
        }
        var options = t[20..headerLength];
        for (int i = 0; i < options.Length;)
        {
            byte kind = options[i];
            if (kind == 0)
            {
                break;
            }
            if (kind == 1)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length || options[i + 1] < 2)
            {
                break;
            }
            if (kind == 8 && options[i + 1] == 10 && i + 10 <= options.Length)
            {
                flow.OurTsVal = BinaryPrimitives.ReadUInt32BigEndian(options[(i + 2)..]);
            }
            i += options[i + 1];
        }
    }

    public FuzzLimits Limits { get; }

    public bool Ethernet { get; }

    /// <summary>The stack's clock: a fake one moved by <see cref="Advance"/>, or an accelerated real one.</summary>
    public TimeProvider Clock { get; }

    /// <summary>The fake clock (only when the host was not given another).</summary>
    public FakeTimeProvider Time => (FakeTimeProvider)Clock;

    public NetworkStack Stack { get; }

    public ChannelEndpoint Link { get; }

    public Nic Nic { get; }

    public Ipv4Protocol Ip4 { get; }

    public Ipv6Protocol Ip6 { get; }

    public UdpProtocol Udp { get; }

    public UdpEndpoint Echo4 { get; }

    public UdpEndpoint Echo6 { get; }

    public UdpEndpoint Connected4 { get; }

    public UdpEndpoint Connected6 { get; }

    /// <summary>Frames the stack wrote that broke a rule of their protocol (each with the reason).</summary>
    public List<string> MalformedOutput { get; } = new();

    /// <summary>Every counter group of the stack (what the fuzz reached is what they counted).</summary>
    public IEnumerable<Netstack.Stack.Counters.CounterGroup> CounterGroups =>
        [Nic.Stats, Stack.Stats, Ip4.Stats, Ip4.IcmpStats, Ip6.Stats, Ip6.IcmpStats, Udp.Stats, Tcp.Stats,
            ((ArpProtocol)Stack.GetNetworkProtocol(NetworkProtocolNumber.Arp)!).Stats];

    /// <summary>Frames the stack wrote since it was created (after the set-up).</summary>
    public long FramesOut { get; private set; }

    /// <summary>Delivers one frame as the link would, then takes and checks everything the stack wrote.</summary>
    public void Inject(byte[] frame)
    {
        Link.InjectFrame(frame);
        DrainAndCheckOutput();
    }

    /// <summary>Moves the clock (timers fire: reassembly timeouts, neighbour probes, DAD, lifetimes).</summary>
    public void Advance(int milliseconds)
    {
        Pass(TimeSpan.FromMilliseconds(milliseconds));
        DrainAndCheckOutput();
    }

    /// <summary>Lets <paramref name="span"/> pass on the stack's clock (advanced, or waited for at its speed).</summary>
    public void Pass(TimeSpan span)
    {
        switch (Clock)
        {
            case FakeTimeProvider fake:
                fake.Advance(span);
                break;
            case AcceleratedTimeProvider fast:
                // Real timers are late by a scheduler quantum or more on a busy machine.
                Thread.Sleep(fast.Scale(span) + TimeSpan.FromMilliseconds(200));
                break;
            default:
                Thread.Sleep(span);
                break;
        }
    }

    /// <summary>Throws when any invariant is broken: no fault escaped, every bound holds, every frame out is well formed.</summary>
    public void CheckInvariants()
    {
        lock (_faults)
        {
            if (_faults.Count > 0)
            {
                throw new FuzzInvariantException($"a handler threw: {_faults[0]}");
            }
        }
        Require(Stack.Stats.HandlerFaults.Value == 0, "StackStats.HandlerFaults != 0");
        Require(Stack.Stats.TimerFaults.Value == 0, "StackStats.TimerFaults != 0");
        Require(Nic.Stats.DroppedHandlerFault.Value == 0, "NicStats.DroppedHandlerFault != 0");
        Require(MalformedOutput.Count == 0, () => $"malformed output: {MalformedOutput[0]}");
        // Nothing from the link may make the stack talk to itself.
        Require(Stack.Stats.LoopbackPackets.Value == 0, "a packet from the link made the stack send to itself");
        foreach (ushort protocol in (ReadOnlySpan<ushort>)[NetworkProtocolNumber.IPv4, NetworkProtocolNumber.IPv6])
        {
            var cache = Nic.GetNeighborCache(protocol);
            if (cache is not null)
            {
                Require(cache.Count <= Limits.NeighborEntries, () => $"neighbour cache 0x{protocol:x4} holds {cache.Count} > {Limits.NeighborEntries}");
                // Per entry: the byte bound, or the one newest packet it always keeps.
                long pendingBound = Limits.NeighborEntries * (long)Math.Max(new NeighborOptions().MaxPendingBytesPerEntry, Limits.MaxDatagramCharge);
                Require(cache.PendingBytes <= pendingBound, () => $"{cache.PendingBytes} bytes wait for resolution");
            }
        }
        Require(Ip4.ReassemblyMemory <= Limits.Ipv4.ReassemblyHighWater, () => $"IPv4 reassembly pins {Ip4.ReassemblyMemory} bytes");
        Require(Ip4.PendingReassemblies <= Limits.Ipv4.MaxReassemblies, () => $"IPv4 reassemblies {Ip4.PendingReassemblies}");
        Require(Ip6.ReassemblyBytes <= Limits.Ipv6.MaxReassemblyBytes, () => $"IPv6 reassembly pins {Ip6.ReassemblyBytes} bytes");
        Require(Ip6.PendingReassemblies <= Limits.Ipv6.MaxReassemblies, () => $"IPv6 reassemblies {Ip6.PendingReassemblies}");
        Require(Ip4.PathMtuEntries <= Limits.Ipv4.MaxPathMtuEntries, () => $"IPv4 path MTU entries {Ip4.PathMtuEntries}");
        foreach (var s in _sockets)
        {
            // A queue accepts while below its limit, so it may overshoot by one datagram (at most the memory
            // one reassembled datagram pins).
            Require(s.QueuedBytes <= s.ReceiveBufferSize + Limits.MaxDatagramCharge, () => $"{s} queues {s.QueuedBytes} bytes");
        }
        // Our two, the link-local, the spare pair a concurrency test toggles, and SLAAC's.
        Require(Nic.Addresses.Count <= 5 + 64, () => $"{Nic.Addresses.Count} addresses");
        Require(Stack.Routes.Routes.Count <= 3 + 16 + 2 * 64, () => $"{Stack.Routes.Routes.Count} routes");
        Require(Stack.Timers.Count <= Limits.MaxTimers, () => $"{Stack.Timers.Count} timers armed");
        Require(Tcp.Stats.InternalErrors.Value == 0, "TCP internal errors");
        foreach (var l in _listeners)
        {
            int synQueue = Math.Min(l.Id.LocalPort == TcpPort ? Limits.TcpBacklog : 64, Limits.Tcp.MaxSynBacklog);
            Require(l.HalfOpenCount <= synQueue, () => $"{l}: {l.HalfOpenCount} half-open connections (bound {synQueue})");
            Require(l.AcceptQueueLength <= (l.Id.LocalPort == TcpPort ? Limits.TcpBacklog : 64), () => $"{l}: {l.AcceptQueueLength} queued for accept");
        }
        Require(Tcp.ActiveEndpoints <= Limits.MaxTcpEndpoints, () => $"{Tcp.ActiveEndpoints} TCP endpoints");
        foreach (var ep in _established)
        {
            string? stall = ep.SendStallReason();
            Require(stall is null, () => $"TCP {ep.Id}: {stall}");
        }
    }

    /// <summary>
    /// The stack still works: a ping from the peer is answered (IPv4 and IPv6) and a UDP datagram to port 7
    /// reaches its socket, on both versions.
    /// </summary>
    public void CheckLiveness()
    {
        var probe = "liveness"u8.ToArray();
        Inject(Frame(Wire.Ipv4(Peer4, Us4, Wire.Icmpv4, Wire.Icmp4(8, 0, 0x4242_0001, probe))));
        RequireReply(p => p.Length >= 28 && p[0] >> 4 == 4 && p[9] == Wire.Icmpv4 && p[20] == 0
            && BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(24)) == 0x4242_0001, "no IPv4 echo reply");
        Inject(Frame(Wire.Ipv6(Peer6, Us6, Wire.Icmpv6, Wire.Icmp6(Peer6, Us6, 128, 0, 0x4242_0002, probe))));
        RequireReply(p => p.Length >= 48 && p[0] >> 4 == 6 && p[6] == Wire.Icmpv6 && p[40] == 129
            && BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(44)) == 0x4242_0002, "no IPv6 echo reply");

        Drain(Echo4);
        Drain(Echo6);
        Inject(Frame(Wire.Ipv4(Peer4, Us4, Wire.Udp, Wire.UdpDatagram(Peer4, Us4, 4444, EchoPort, probe))));
        RequireDatagram(Echo4, "IPv4");
        Inject(Frame(Wire.Ipv6(Peer6, Us6, Wire.Udp, Wire.UdpDatagram(Peer6, Us6, 4444, EchoPort, probe))));
        RequireDatagram(Echo6, "IPv6");
        CheckTcpHandshake(v6: false);
        CheckTcpHandshake(v6: true);
        CheckTcpData();
        CheckInvariants();
    }

    // A SYN to the liveness listener from a fresh port is answered with a SYN-ACK for it; a RST then cleans up.
    private void CheckTcpHandshake(bool v6)
    {
        var src = v6 ? Peer6 : Peer4;
        var dst = v6 ? Us6 : Us4;
        ushort port = _livenessPort++;
        const uint isn = 0x1000_0000;
        Inject(Frame(v6 ? Wire.Ipv6(src, dst, Wire.Tcp, Wire.TcpSegment(src, dst, port, TcpLivenessPort, isn, 0, 0x02, 65535, [2, 4, 5, 180], []))
            : Wire.Ipv4(src, dst, Wire.Tcp, Wire.TcpSegment(src, dst, port, TcpLivenessPort, isn, 0, 0x02, 65535, [2, 4, 5, 180], []))));
        RequireReply(p =>
        {
            var t = v6 ? (p.Length >= 60 && p[6] == Wire.Tcp ? p[40..] : null) : (p.Length >= 40 && p[9] == Wire.Tcp ? p[((p[0] & 0x0F) * 4)..] : null);
            return t is not null && BinaryPrimitives.ReadUInt16BigEndian(t.AsSpan(2)) == port && t[13] == 0x12
                && BinaryPrimitives.ReadUInt32BigEndian(t.AsSpan(8)) == isn + 1;
        }, $"no TCP SYN-ACK over IPv{(v6 ? 6 : 4)}");
        var rst = Wire.TcpSegment(src, dst, port, TcpLivenessPort, isn + 1, 0, 0x04, 0, [], []);
        Inject(Frame(v6 ? Wire.Ipv6(src, dst, Wire.Tcp, rst) : Wire.Ipv4(src, dst, Wire.Tcp, rst)));
    }

    /// <summary>
    /// Closes every TCP endpoint the host made and requires that nothing TCP is left: no endpoint, no demultiplexer
    /// entry, no reserved port.
    /// </summary>
    public void CheckTcpReleased()
    {
        foreach (var l in _listeners)
        {
            l.Close();
        }
        foreach (var ep in _active.Concat(_established))
        {
            ep.Abort();
        }
        DrainAndCheckOutput();
        Require(Tcp.ActiveEndpoints == 0, () => $"{Tcp.ActiveEndpoints} TCP endpoints left after every one was closed");
        Require(Stack.Demuxer.Count == _demuxBaseline, () => $"{Stack.Demuxer.Count - _demuxBaseline} demultiplexer entries left after TCP closed");
        foreach (ushort port in (ushort[])[TcpPort, TcpLivenessPort, _active[0].Id.LocalPort, _active[1].Id.LocalPort])
        {
            Require(!Stack.Ports.IsReserved(Tcp.Number, port), () => $"TCP port {port} still reserved");
        }
    }

    /// <summary>Adds the spare address of a family if it is absent, else removes it (configuration racing with traffic).</summary>
    public void ToggleSpareAddress(bool v4)
    {
        var address = v4 ? Spare4 : Spare6;
        if (!Stack.RemoveAddress(1, address))
        {
            Stack.AddAddress(1, new AddressWithPrefix(address, v4 ? 24 : 64));
        }
    }

    /// <summary>Puts the main addresses back if a case removed them, and lets DAD finish.</summary>
    public void RestoreAddresses()
    {
        if (Nic.FindAddress(Us4) is null)
        {
            Stack.AddAddress(1, new AddressWithPrefix(Us4, 24));
        }
        if (Nic.FindAddress(Us6) is null)
        {
            Stack.AddAddress(1, new AddressWithPrefix(Us6, 64));
        }
        Pass(TimeSpan.FromSeconds(2));
    }

    /// <summary>Wraps an IP packet for this link (an Ethernet frame from the peer to our MAC, or as it is).</summary>
    public byte[] Frame(byte[] ipPacket, LinkAddress? destination = null, LinkAddress? source = null)
    {
        if (!Ethernet)
        {
            return ipPacket;
        }
        ushort type = ipPacket.Length > 0 && ipPacket[0] >> 4 == 6 ? Wire.EtherIPv6 : Wire.EtherIPv4;
        return Wire.Ethernet(destination ?? OurMac, source ?? PeerMac, type, ipPacket);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var s in _sockets)
        {
            s.Close();
        }
        foreach (var l in _listeners)
        {
            l.Close();
        }
        foreach (var a in _active.Concat(_established))
        {
            a.Abort();
        }
        Stack.Dispose();
        Link.Dispose();
    }

    private readonly List<byte[]> _replies = new();

    private UdpEndpoint Open(ushort protocol, FullAddress local)
    {
        var ep = Udp.CreateEndpoint(protocol);
        ep.ReceiveBufferSize = Limits.SocketBuffer;
        Check(ep.Bind(local));
        _sockets.Add(ep);
        return ep;
    }

    /// <summary>The frames the stack wrote during the last step (link header included).</summary>
    public List<byte[]> LastOutput { get; } = new();

    /// <summary>Takes and checks what the stack wrote since the last step (for traffic a test caused itself).</summary>
    public List<byte[]> Flush()
    {
        DrainAndCheckOutput();
        return LastOutput;
    }

    private void DrainAndCheckOutput()
    {
        _replies.Clear();
        LastOutput.Clear();
        while (Link.TryReadOutbound() is { } p)
        {
            try
            {
                var bytes = p.ToArray();
                FramesOut++;
                string? problem = OutputValidator.Check(bytes, Ethernet, OurMac, Limits.Mtu);
                if (problem is not null && MalformedOutput.Count < 8)
                {
                    MalformedOutput.Add($"{problem}: {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 96)))}");
                }
                TrackTcp(bytes);
                LastOutput.Add(bytes);
                _replies.Add(Ethernet && bytes.Length >= 14 ? bytes[14..] : bytes);
            }
            finally
            {
                p.Release();
            }
        }
    }

    private void RequireReply(Func<byte[], bool> match, string what)
    {
        foreach (var r in _replies)
        {
            if (match(r))
            {
                return;
            }
        }
        throw new FuzzInvariantException($"liveness: {what} ({_replies.Count} frames out)");
    }

    private static void Drain(UdpEndpoint socket)
    {
        var buffer = new byte[65536];
        while (socket.Read(buffer, out _) is TcpipError.None or TcpipError.ConnectionRefused)
        {
        }
    }

    private static void RequireDatagram(UdpEndpoint socket, string family)
    {
        var buffer = new byte[256];
        var error = socket.Read(buffer, out var result);
        if (error != TcpipError.None || !buffer.AsSpan(0, result.BytesCopied).SequenceEqual("liveness"u8))
        {
            throw new FuzzInvariantException($"liveness: no {family} UDP datagram on port {EchoPort} ({error})");
        }
    }

    private void Check(TcpipError error)
    {
        if (error != TcpipError.None)
        {
            throw new InvalidOperationException(
                $"set-up failed: {error} (addresses: {string.Join(", ", Nic.Addresses.Select(a => $"{a.Address} {a.State}"))})");
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(message);
        }
    }

    private static void Require(bool condition, Func<string> message)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(message());
        }
    }
}

/// <summary>An invariant of the stack did not hold after a fuzz case.</summary>
internal sealed class FuzzInvariantException(string message) : Exception(message);

/// <summary>The limits a <see cref="FuzzHost"/> runs with (small, so that short cases reach them).</summary>
internal sealed record FuzzLimits
{
    public int NeighborEntries { get; init; } = 16;

    public int PendingPerNeighbor { get; init; } = 4;

    public int SocketBuffer { get; init; } = 16 * 1024;

    public int Mtu { get; init; } = 1500;

    public int TcpBacklog { get; init; } = 4;

    public TcpProtocolOptions Tcp { get; init; } = new()
    {
        MaxSynBacklog = 8,
        DefaultConnectionSettings = new TcpConnectionSettings { ReceiveBufferSize = 64 * 1024, SendBufferSize = 64 * 1024 },
    };

    /// <summary>TCP endpoints that may exist at once: listeners, their queues, the active connections, TIME-WAITs.</summary>
    public int MaxTcpEndpoints => 4 + 2 * (TcpBacklog + Tcp.MaxSynBacklog) + 2 * (64 + 64) + 2 + 64;

    public Ipv4ProtocolOptions Ipv4 { get; init; } = new()
    {
        ReassemblyHighWater = 256 * 1024,
        ReassemblyLowWater = 192 * 1024,
        MaxReassemblies = 16,
        MaxFragmentsPerDatagram = 16,
        MaxPathMtuEntries = 16,
        IcmpErrorBurst = 8,
    };

    public Ipv6Options Ipv6 { get; init; } = new()
    {
        MaxReassemblyBytes = 256 * 1024,
        MaxReassemblies = 16,
        MaxFragmentsPerPacket = 16,
        MaxPathMtuEntries = 16,
        IcmpErrorBurst = 8,
    };

    /// <summary>Most memory one queued datagram can pin: a reassembled one holds every fragment's chunk.</summary>
    public int MaxDatagramCharge => (Math.Max(Ipv4.MaxFragmentsPerDatagram, Ipv6.MaxFragmentsPerPacket) + 2) * ChunkPool.MaxChunkSize;

    /// <summary>Timers that may be armed at once: one per neighbour, reassembly, router, prefix, address and protocol.</summary>
    public int MaxTimers => 2 * NeighborEntries + Ipv4.MaxReassemblies + Ipv6.MaxReassemblies + 16 + 3 * 64 + 16 + 3 * MaxTcpEndpoints;
}
