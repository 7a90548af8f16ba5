using CsCheck;
using Netstack.Network.IPv6;

namespace Netstack.Tests.Fuzz;

/// <summary>What a generated case is made of.</summary>
internal enum CaseKind
{
    /// <summary>Frames of random bytes (on Ethernet, usually behind a header that gets them past the MAC filter).</summary>
    RandomBytes,

    /// <summary>Valid frames of every protocol, mutated, with checksums fixed half of the time.</summary>
    Mutations,

    /// <summary>Hostile sequences: fragment attacks, cache floods, error storms, group sweeps.</summary>
    Hostile,

    /// <summary>All of the above, interleaved.</summary>
    Mixed,
}

/// <summary>
/// Generates fuzz cases for <see cref="FuzzHost"/>. A CsCheck generator: a case is a function of its
/// <see cref="PCG"/>, so a failure replays from its seed, and its size (steps, then bytes) lets CsCheck shrink.
/// </summary>
internal sealed class CaseGenerator(bool ethernet, CaseKind kind, int maxSteps, int mtu = 1500) : Gen<FuzzCase>
{
    public override FuzzCase Generate(PCG pcg, Size? min, out Size size)
    {
        var r = new FuzzRandom(pcg);
        var steps = new List<FuzzStep>();
        var builder = new StepBuilder(r, ethernet, mtu, steps);
        int budget = r.Int(1, maxSteps);
        while (steps.Count < budget)
        {
            var k = kind == CaseKind.Mixed ? r.Pick(CaseKind.RandomBytes, CaseKind.Mutations, CaseKind.Mutations, CaseKind.Hostile) : kind;
            switch (k)
            {
                case CaseKind.RandomBytes:
                    builder.RandomFrame();
                    break;
                case CaseKind.Mutations:
                    builder.MutatedFrame();
                    break;
                default:
                    builder.HostileSequence(budget - steps.Count);
                    break;
            }
        }
        var c = new FuzzCase(ethernet, steps);
        size = new Size(((ulong)steps.Count << 24) | (uint)Math.Min(c.Bytes, 0xFF_FFFF));
        return c;
    }

    /// <summary>Appends steps for one generator choice.</summary>
    private sealed class StepBuilder(FuzzRandom r, bool ethernet, int mtu, List<FuzzStep> steps)
    {
        private static readonly ushort[] EtherTypes = [Wire.EtherIPv4, Wire.EtherIPv6, Wire.EtherArp, 0x8100, 0x88CC, 0x0000, 0x05DC, 0xFFFF, 0x0801, 0x86DC];

        private readonly PacketFactory _packets = new(r, mtu);

        public void RandomFrame()
        {
            var body = r.Bytes(r.Length(r.Chance(0.02) ? 70_000 : mtu + 100));
            if (r.Chance(0.5) && body.Length > 0)
            {
                // A plausible first nibble gets random bytes past the version check.
                body[0] = (byte)((r.Chance(0.5) ? 0x40 : 0x60) | (body[0] & 0x0F));
            }
            if (ethernet && r.Chance(0.8))
            {
                Add(Wire.Ethernet(DestinationMac(), SourceMac(), r.Pick(EtherTypes), body), "random");
            }
            else
            {
                Add(body, "random");
            }
        }

        public void MutatedFrame()
        {
            if (r.Chance(0.2))
            {
                // A TCP segment relative to a flow, mutated after it is resolved.
                steps.Add(new FuzzStep(null, 0, "tcp", Segment(r.Chance(0.5), r.Int(0, 3), (ushort)r.Int(1000, 1010), RandomTarget(),
                    RandomFlags(), SeqBase.PeerNext, SeqDelta(), AckBase.OurNext, r.Chance(0.7) ? 0 : r.Int(-3000, 3000),
                    TcpPayload(), r.Chance(0.5) ? SynOptions() : DataOptions(), mutations: r.Int(1, 4), fix: r.Chance(0.5))));
                return;
            }
            var frame = ValidFrame(out string what);
            if (r.Chance(0.85))
            {
                frame = Mutator.Mutate(r, frame, r.Int(1, 4));
                what += "+mutated";
            }
            if (r.Chance(0.5))
            {
                ChecksumFixer.Fix(frame, ethernet);
                what += "+fixed";
            }
            Add(frame, what);
        }

        public void HostileSequence(int room)
        {
            switch (r.Int(12))
            {
                case 9:
                case 10:
                    TcpSession(room);
                    break;
                case 11:
                    SynFlood(room);
                    break;
                case 0:
                case 1:
                    Ipv4Fragments();
                    break;
                case 2:
                case 3:
                    Ipv6Fragments();
                    break;
                case 4:
                    FragmentFlood(room);
                    break;
                case 5:
                    NeighborFlood(room);
                    break;
                case 6:
                    ErrorStorm(room);
                    break;
                case 7:
                    GroupSweep();
                    break;
                default:
                    steps.Add(new FuzzStep(null, r.Pick(1, 100, 999, 1000, 1001, 3000, 5000, 30_000, 60_000, 61_000, 600_000), "time"));
                    break;
            }
        }

        private byte[] ValidFrame(out string what)
        {
            int choice = r.Int(ethernet ? 10 : 9);
            byte[] ip;
            switch (choice)
            {
                case < 4:
                    ip = _packets.Ipv4Packet();
                    what = "ipv4";
                    break;
                case < 8:
                    ip = _packets.Ipv6Packet();
                    what = "ipv6";
                    break;
                case 8:
                    ip = r.Chance(0.5) ? Fragment4() : Fragment6();
                    what = "fragment";
                    break;
                default:
                    what = "arp";
                    return Wire.Ethernet(r.Chance(0.6) ? LinkAddress.Broadcast : DestinationMac(), SourceMac(), Wire.EtherArp, _packets.Arp());
            }
            return Frame(ip);
        }

        // One fragment of a small datagram (a whole fragment sequence is a hostile sequence).
        private byte[] Fragment4()
        {
            var whole = Wire.Ipv4(_packets.Source4(), FuzzHost.Us4, r.Pick(Wire.Udp, Wire.Icmpv4, Wire.Tcp),
                r.Bytes(r.Int(16, 200)), (ushort)r.Int(0, 4));
            var parts = Wire.FragmentIpv4(whole, r.Pick(8, 16, 64));
            return r.PickFrom(parts);
        }

        private byte[] Fragment6()
        {
            var parts = Wire.FragmentIpv6(_packets.Source6(), FuzzHost.Us6, r.Pick(Wire.Udp, Wire.Icmpv6, Wire.DestinationOptions),
                r.Bytes(r.Int(16, 200)), r.Pick(8, 16, 64), (uint)r.Int(0, 4));
            return r.PickFrom(parts);
        }

        // A datagram in fragments, then attacked: shuffled, duplicated, overlapped, rewritten, truncated,
        // tiny, past 65,535 (ping of death), or never completed. Often it is still a valid datagram for us.
        private void Ipv4Fragments()
        {
            var src = r.Chance(0.8) ? FuzzHost.Peer4 : _packets.Source4();
            var dst = r.Chance(0.8) ? FuzzHost.Us4 : _packets.Destination4();
            byte[] l4;
            byte protocol;
            int size = r.Chance(0.1) ? r.Int(1500, 65_507) : r.Int(8, 3000);
            if (r.Chance(0.5))
            {
                protocol = Wire.Udp;
                l4 = Wire.UdpDatagram(src, dst, r.Pick(FuzzHost.EchoPort, _packets.Port()), FuzzHost.EchoPort, r.Bytes(size));
            }
            else
            {
                protocol = r.Chance(0.8) ? Wire.Icmpv4 : Wire.Tcp;
                l4 = protocol == Wire.Icmpv4 ? Wire.Icmp4(8, 0, r.UInt(), r.Bytes(size)) : r.Bytes(size);
            }
            ushort id = (ushort)r.Int(0, 3);
            var whole = Wire.Ipv4(src, dst, protocol, l4, id, options: r.Chance(0.1) ? _packets.Ipv4Options() : default);
            int per = r.Pick(8, 16, 24, 64, 504, 1000, (mtu - 20) & ~7);
            var fragments = Wire.FragmentIpv4(whole, per);
            int payload = whole.Length - (whole[0] & 0x0F) * 4;
            if (fragments.Count > 200)
            {
                fragments = fragments.Take(r.Int(1, 200)).ToList();
            }
            Attack(fragments, () =>
            {
                int offset = r.Int(0, payload) & ~7;
                int length = Math.Min(payload - offset, r.Pick(8, 16, per, per + 8));
                return length <= 0 ? whole : Wire.Ipv4Fragment(whole, offset, length, r.Chance(0.7));
            }, f =>
            {
                // Ping of death: a fragment that reaches past 65,535 bytes.
                var copy = (byte[])f.Clone();
                if (copy.Length < 20)
                {
                    return copy;
                }
                ushort offset = (ushort)r.Pick(0x1FFF, 0x1FFE, 8189, 8190);
                copy[6] = (byte)((copy[6] & 0xE0) | (offset >> 8));
                copy[7] = (byte)offset;
                Wire.FixIpv4HeaderChecksum(copy);
                return copy;
            });
        }

        private void Ipv6Fragments()
        {
            var src = r.Chance(0.8) ? FuzzHost.Peer6 : _packets.Source6();
            var dst = r.Chance(0.8) ? FuzzHost.Us6 : _packets.Destination6();
            int size = r.Chance(0.1) ? r.Int(1500, 65_400) : r.Int(8, 3000);
            byte next;
            byte[] fragmentable;
            switch (r.Int(4))
            {
                case 0:
                case 1:
                    next = Wire.Udp;
                    fragmentable = Wire.UdpDatagram(src, dst, _packets.Port(), FuzzHost.EchoPort, r.Bytes(size));
                    break;
                case 2:
                    next = Wire.Icmpv6;
                    fragmentable = Wire.Icmp6(src, dst, r.Chance(0.8) ? (byte)128 : r.Pick<byte>(135, 136, 134, 1, 2), 0, r.UInt(), r.Bytes(size));
                    break;
                default:
                    // A destination options header inside the fragmentable part, then UDP.
                    next = Wire.DestinationOptions;
                    fragmentable = [.. Wire.OptionsHeader(Wire.Udp, _packets.Ipv6Options()),
                        .. Wire.UdpDatagram(src, dst, _packets.Port(), FuzzHost.EchoPort, r.Bytes(size))];
                    break;
            }
            byte[]? unfragmentable = null;
            byte firstNext = Wire.Fragment;
            if (r.Chance(0.3))
            {
                firstNext = r.Pick(Wire.HopByHop, Wire.DestinationOptions);
                unfragmentable = Wire.OptionsHeader(Wire.Fragment, r.Chance(0.5) ? [] : _packets.Ipv6Options());
            }
            uint id = (uint)r.Int(0, 3);
            int per = r.Pick(8, 16, 56, 64, 512, 1232, (mtu - 48) & ~7);
            var fragments = Wire.FragmentIpv6(src, dst, next, fragmentable, per, id, unfragmentable, firstNext);
            if (fragments.Count > 200)
            {
                fragments = fragments.Take(r.Int(1, 200)).ToList();
            }
            Attack(fragments, () =>
            {
                int offset = r.Int(0, fragmentable.Length) & ~7;
                int length = Math.Min(fragmentable.Length - offset, r.Pick(8, 16, per, per + 8));
                return Wire.Ipv6Fragment(src, dst, next, fragmentable.AsSpan(offset, Math.Max(length, 0)), offset, r.Chance(0.7), id,
                    r.Chance(0.5) ? unfragmentable : Wire.OptionsHeader(Wire.Fragment, _packets.Ipv6Options()),
                    r.Chance(0.5) ? firstNext : Wire.DestinationOptions);
            }, f =>
            {
                // A fragment whose offset puts it past 65,535 bytes, or with a longer unfragmentable part.
                var copy = (byte[])f.Clone();
                int at = FragmentHeaderOffset(copy);
                if (at >= 0)
                {
                    ushort value = (ushort)((r.Pick(0xFFF8, 0xFFF0, 0xFF00, 0x8000) & 0xFFF8) | (copy[at + 3] & 1));
                    copy[at + 2] = (byte)(value >> 8);
                    copy[at + 3] = (byte)value;
                }
                return copy;
            });
        }

        // The offset of the (first) fragment header in an IPv6 packet built by Wire, or -1.
        private static int FragmentHeaderOffset(byte[] p)
        {
            if (p.Length < 40)
            {
                return -1;
            }
            byte next = p[6];
            int offset = 40;
            for (int i = 0; i < 4 && offset + 8 <= p.Length; i++)
            {
                if (next == Wire.Fragment)
                {
                    return offset;
                }
                if (next is not (Wire.HopByHop or Wire.DestinationOptions))
                {
                    return -1;
                }
                next = p[offset];
                offset += (p[offset + 1] + 1) * 8;
            }
            return -1;
        }

        private void Attack(List<byte[]> fragments, Func<byte[]> extra, Func<byte[], byte[]> pastTheEnd)
        {
            var list = new List<byte[]>(fragments);
            int attacks = r.Int(0, 3);
            for (int i = 0; i < attacks; i++)
            {
                switch (r.Int(7))
                {
                    case 0:
                        Shuffle(list);
                        break;
                    case 1:
                        if (list.Count > 0)
                        {
                            list.Insert(r.Int(list.Count + 1), r.PickFrom(list));
                        }
                        break;
                    case 2:
                        list.Insert(r.Int(list.Count + 1), extra());
                        break;
                    case 3:
                        if (list.Count > 1)
                        {
                            list.RemoveAt(r.Int(list.Count));
                        }
                        break;
                    case 4:
                        if (list.Count > 0)
                        {
                            int at = r.Int(list.Count);
                            var copy = Mutator.Mutate(r, (byte[])list[at].Clone(), 1);
                            ChecksumFixer.Fix(Frameless(copy), false);
                            list[at] = copy;
                        }
                        break;
                    case 5:
                        if (list.Count > 0)
                        {
                            int at = r.Int(list.Count);
                            list[at] = pastTheEnd(list[at]);
                        }
                        break;
                    default:
                        if (list.Count > 0)
                        {
                            // The same fragment with other bytes: a rewrite attempt.
                            int at = r.Int(list.Count);
                            var copy = (byte[])list[at].Clone();
                            if (copy.Length > 60)
                            {
                                copy[^1] ^= 0xFF;
                            }
                            list.Insert(r.Int(list.Count + 1), copy);
                        }
                        break;
                }
            }
            int timeStep = r.Chance(0.2) ? r.Int(list.Count + 1) : -1;
            for (int i = 0; i < list.Count; i++)
            {
                Add(Frame(list[i]), "fragment", i == timeStep ? r.Pick(1000, 29_000, 31_000, 59_000, 61_000) : 0);
            }
        }

        private static byte[] Frameless(byte[] ip) => ip;

        // Many datagrams, one fragment each: none ever completes (memory and count limits, timeouts).
        private void FragmentFlood(int room)
        {
            int n = Math.Min(room + 8, r.Int(10, 80));
            bool v6 = r.Chance(0.5);
            var src = v6 ? _packets.Source6() : _packets.Source4();
            for (int i = 0; i < n; i++)
            {
                if (!r.Chance(0.7))
                {
                    src = v6 ? _packets.OnLink6() : _packets.OnLink4();
                }
                int offset = r.Chance(0.5) ? 0 : r.Int(1, 1000) * 8;
                byte[] ip;
                if (v6)
                {
                    ip = Wire.Ipv6Fragment(src, FuzzHost.Us6, Wire.Udp, r.Bytes(r.Pick(8, 1232, (mtu - 48) & ~7)), offset, true, r.UInt());
                }
                else
                {
                    int length = r.Pick(8, (mtu - 20) & ~7);
                    var whole = Wire.Ipv4(src, FuzzHost.Us4, Wire.Udp, r.Bytes(offset + length), (ushort)r.UInt());
                    ip = Wire.Ipv4Fragment(whole, offset, length, true);
                }
                Add(Frame(ip), "fragment-flood", r.Chance(0.05) ? r.Pick(1000, 31_000, 61_000) : 0);
            }
        }

        // ARP and NDP from many source addresses (cache bound and eviction), and NDP/ARP that hits the static peer.
        private void NeighborFlood(int room)
        {
            int n = Math.Min(room + 8, r.Int(10, 80));
            bool arp = ethernet && r.Chance(0.5);
            for (int i = 0; i < n; i++)
            {
                var mac = _packets.RandomUnicastMac();
                if (arp)
                {
                    var sender = r.Chance(0.9) ? _packets.OnLink4() : FuzzHost.Peer4;
                    ushort op = r.Chance(0.7) ? (ushort)1 : (ushort)2;
                    var target = r.Chance(0.8) ? FuzzHost.Us4 : _packets.OnLink4();
                    Add(Wire.Ethernet(r.Chance(0.5) ? LinkAddress.Broadcast : FuzzHost.OurMac, mac, Wire.EtherArp,
                        Wire.Arp(op, mac, sender, op == 2 ? FuzzHost.OurMac : LinkAddress.FromUInt64(0), target)), "arp-flood");
                }
                else if (r.Chance(0.6))
                {
                    var src = r.Chance(0.9) ? _packets.OnLink6() : FuzzHost.Peer6;
                    var target = r.Pick(FuzzHost.Us6, FuzzHost.OurLinkLocal);
                    var dst = r.Chance(0.5) ? Ipv6Address.SolicitedNode(target) : target;
                    var options = r.Chance(0.8) ? Wire.NdpLinkAddressOption(1, mac) : [];
                    Add(Frame(Wire.Ipv6(src, dst, Wire.Icmpv6, Wire.Icmp6(src, dst, 135, 0, 0, Wire.NdpTargetBody(target, options)), 255),
                        source: mac), "ns-flood");
                }
                else
                {
                    // Pings from strangers: each reply needs resolution (an INCOMPLETE entry and a queued packet).
                    if (r.Chance(0.5))
                    {
                        var src = _packets.OnLink6();
                        Add(Frame(Wire.Ipv6(src, FuzzHost.Us6, Wire.Icmpv6, Wire.Icmp6(src, FuzzHost.Us6, 128, 0, r.UInt(), r.Bytes(r.Int(0, 1000)))),
                            source: mac), "ping-flood");
                    }
                    else
                    {
                        var src = _packets.OnLink4();
                        Add(Frame(Wire.Ipv4(src, FuzzHost.Us4, Wire.Icmpv4, Wire.Icmp4(8, 0, r.UInt(), r.Bytes(r.Int(0, 1000)))), source: mac),
                            "ping-flood");
                    }
                }
                if (r.Chance(0.05))
                {
                    steps.Add(new FuzzStep(null, r.Pick(1000, 3000, 5000, 30_000), "time"));
                }
            }
        }

        // ICMP errors with forged quotes, and packets that make the stack send errors (rate limit).
        private void ErrorStorm(int room)
        {
            int n = Math.Min(room + 8, r.Int(10, 80));
            bool v6 = r.Chance(0.5);
            for (int i = 0; i < n; i++)
            {
                if (r.Chance(0.5))
                {
                    if (v6)
                    {
                        var src = r.Chance(0.5) ? FuzzHost.Peer6 : _packets.Source6();
                        Add(Frame(Wire.Ipv6(src, FuzzHost.Us6, Wire.Icmpv6, _packets.Icmp6Error(src, FuzzHost.Us6))), "error-storm");
                    }
                    else
                    {
                        var src = r.Chance(0.5) ? FuzzHost.Peer4 : _packets.Source4();
                        Add(Frame(Wire.Ipv4(src, FuzzHost.Us4, Wire.Icmpv4, _packets.Icmp4Error(src))), "error-storm");
                    }
                }
                else if (v6)
                {
                    var src = FuzzHost.Peer6;
                    Add(Frame(Wire.Ipv6(src, FuzzHost.Us6, Wire.Udp, Wire.UdpDatagram(src, FuzzHost.Us6, 1, (ushort)r.Int(10_000, 20_000), r.Bytes(r.Int(0, 1400))))),
                        "port-unreachable-storm");
                }
                else
                {
                    var src = FuzzHost.Peer4;
                    Add(Frame(Wire.Ipv4(src, FuzzHost.Us4, Wire.Udp, Wire.UdpDatagram(src, FuzzHost.Us4, 1, (ushort)r.Int(10_000, 20_000), r.Bytes(r.Int(0, 1400))))),
                        "port-unreachable-storm");
                }
                if (r.Chance(0.05))
                {
                    steps.Add(new FuzzStep(null, r.Pick(1, 10, 1000), "time"));
                }
            }
        }

        // One datagram to every broadcast and multicast form, at IP and link level.
        private void GroupSweep()
        {
            bool v6 = r.Chance(0.5);
            var payload = r.Bytes(r.Int(0, 100));
            if (v6)
            {
                foreach (var dst in (Address[])[Address.AllNodesV6, Address.AllRoutersV6, Ipv6Address.SolicitedNode(FuzzHost.Us6),
                    FuzzHost.Group6, Address.Parse("ff01::1"), Address.Parse("ff00::1"), Address.Parse("ff0f::1"), Address.Parse("ff05::1:3"),
                    Address.Parse("ff02::16"), Address.Parse("ff12::1")])
                {
                    var src = r.Chance(0.5) ? FuzzHost.Peer6 : Address.Parse("fe80::1");
                    var ip = r.Int(3) switch
                    {
                        0 => Wire.Ipv6(src, dst, Wire.Udp, Wire.UdpDatagram(src, dst, 1, r.Pick(FuzzHost.EchoPort, (ushort)9), payload)),
                        1 => Wire.Ipv6(src, dst, Wire.Tcp, Wire.TcpSegment(src, dst, 1234, FuzzHost.TcpPort, r.UInt(), 0,
                            r.Pick<byte>(0x02, 0x10, 0x04), 65535, [2, 4, 5, 180], [])),
                        _ => Wire.Ipv6(src, dst, Wire.Icmpv6, Wire.Icmp6(src, dst, 128, 0, r.UInt(), payload)),
                    };
                    Add(Frame(ip, r.Chance(0.8) ? LinkAddress.FromIPv6Multicast(dst) : r.Pick(LinkAddress.Broadcast, FuzzHost.OurMac)), "sweep");
                }
            }
            else
            {
                foreach (var dst in (Address[])[Address.BroadcastV4, Address.Parse("10.0.0.255"), Address.Parse("224.0.0.1"),
                    FuzzHost.Group4, Address.Parse("224.0.0.251"), Address.Parse("239.255.255.250"), Address.Parse("10.0.0.0"),
                    Address.Parse("10.255.255.255")])
                {
                    var src = FuzzHost.Peer4;
                    var ip = r.Int(3) switch
                    {
                        0 => Wire.Ipv4(src, dst, Wire.Udp, Wire.UdpDatagram(src, dst, 1, r.Pick(FuzzHost.EchoPort, (ushort)9), payload)),
                        1 => Wire.Ipv4(src, dst, Wire.Tcp, Wire.TcpSegment(src, dst, 1234, FuzzHost.TcpPort, r.UInt(), 0,
                            r.Pick<byte>(0x02, 0x10, 0x04), 65535, [2, 4, 5, 180], [])),
                        _ => Wire.Ipv4(src, dst, Wire.Icmpv4, Wire.Icmp4(8, 0, r.UInt(), payload)),
                    };
                    var mac = dst.IsMulticast ? LinkAddress.FromIPv4Multicast(dst) : LinkAddress.Broadcast;
                    Add(Frame(ip, r.Chance(0.8) ? mac : FuzzHost.OurMac), "sweep");
                }
            }
        }

        // A TCP conversation with the listener, the host's own connection, or a closed port: a handshake (or an
        // answer to the host's SYN), then in-order, out-of-order, old, overlapping and out-of-window data, FIN,
        // RSTs at and near the expected sequence number, SYNs in the middle, acknowledgments of data never sent,
        // zero windows, urgent data, odd flag sets and options, and time passing over every TCP timer.
        private void TcpSession(int room)
        {
            bool v6 = r.Chance(0.5);
            var target = r.Int(10) switch
            {
                < 4 => TcpTarget.Listener,
                < 7 => TcpTarget.Established,
                < 9 => TcpTarget.Active,
                _ => TcpTarget.Closed,
            };
            int source = r.Chance(0.8) ? 0 : r.Int(1, 5);
            ushort port = (ushort)r.Int(1000, 1010);
            if (target == TcpTarget.Active)
            {
                AddTcp("tcp-synack", Segment(v6, 0, port, target, 0x12, SeqBase.Random, 0, AckBase.OurNext, r.Chance(0.9) ? 0 : r.Int(-2, 2),
                    [], SynOptions()));
            }
            // The established connection is already synchronized: straight to the hostile part.
            else if (target != TcpTarget.Established)
            {
                AddTcp("tcp-syn", Segment(v6, source, port, target, 0x02, SeqBase.Random, 0, AckBase.Random, 0, [], SynOptions()));
                if (r.Chance(0.9))
                {
                    AddTcp("tcp-ack", Segment(v6, source, port, target, 0x10, SeqBase.PeerNext, 0, AckBase.OurNext, 0, [], DataOptions()));
                }
            }
            int n = Math.Min(room + 4, r.Int(2, 40));
            for (int i = 0; i < n; i++)
            {
                byte flags;
                int seqDelta = 0;
                int ackDelta = 0;
                byte[] payload = [];
                switch (r.Int(14))
                {
                    case 0:
                    case 1:
                    case 2:
                        flags = (byte)(0x10 | (r.Chance(0.5) ? 0x08 : 0));
                        payload = TcpPayload();
                        break;
                    case 3:
                    case 4:
                        flags = 0x18;
                        seqDelta = r.Int(1, 4) * r.Pick(1, 8, 100, 1000, 1460);
                        payload = TcpPayload();
                        break;
                    case 5:
                        flags = 0x10;
                        seqDelta = -r.Pick(1, 10, 1000, 65535, 1 << 20);
                        payload = TcpPayload();
                        break;
                    case 6:
                        flags = 0x10;
                        seqDelta = r.Pick(65536, 1 << 20, 1 << 30, int.MinValue + 1);
                        payload = TcpPayload();
                        break;
                    case 7:
                        flags = (byte)(0x11 | (r.Chance(0.3) ? 0x08 : 0));
                        payload = r.Chance(0.5) ? TcpPayload() : [];
                        break;
                    case 8:
                        flags = (byte)(0x04 | (r.Chance(0.5) ? 0x10 : 0));
                        seqDelta = r.Pick(0, 0, 1, -1, 100, 65535, 1 << 20);
                        break;
                    case 9:
                        flags = (byte)(0x02 | (r.Chance(0.5) ? 0x10 : 0));
                        seqDelta = r.Pick(0, 1, -1, 1 << 20);
                        break;
                    case 10:
                        flags = 0x10;
                        ackDelta = r.Pick(1, 100, 65535, 1 << 30, -1, -100, int.MinValue);
                        break;
                    case 11:
                        flags = (byte)(0x10 | 0x20);
                        payload = TcpPayload();
                        break;
                    case 12:
                        flags = RandomFlags();
                        seqDelta = SeqDelta();
                        payload = r.Chance(0.3) ? TcpPayload() : [];
                        break;
                    default:
                        steps.Add(new FuzzStep(null, r.Pick(40, 200, 1000, 3000, 60_000, 120_000, 7_200_000), "time"));
                        continue;
                }
                var spec = Segment(v6, source, port, target, flags, SeqBase.PeerNext, seqDelta, AckBase.OurNext, ackDelta, payload,
                    r.Chance(0.1) ? SynOptions() : DataOptions(), window: r.Chance(0.1) ? (ushort)0 : null,
                    mutations: r.Chance(0.1) ? 1 : 0, fix: true);
                AddTcp("tcp", spec);
            }
        }

        // SYNs from many ports and sources (SYN queue, cookies), some completed, some reset.
        private void SynFlood(int room)
        {
            bool v6 = r.Chance(0.5);
            int n = Math.Min(room + 8, r.Int(10, 60));
            for (int i = 0; i < n; i++)
            {
                int source = r.Int(0, 9);
                ushort port = (ushort)r.Int(20_000, 20_100);
                AddTcp("syn-flood", Segment(v6, source, port, TcpTarget.Listener, 0x02, SeqBase.Random, 0, AckBase.Random, 0, [], SynOptions()));
                if (r.Chance(0.3))
                {
                    AddTcp("syn-flood-ack", Segment(v6, source, port, TcpTarget.Listener, 0x10, SeqBase.PeerNext, 0, AckBase.OurNext,
                        r.Chance(0.8) ? 0 : r.Int(-5, 5), [], DataOptions()));
                }
                else if (r.Chance(0.1))
                {
                    AddTcp("syn-flood-rst", Segment(v6, source, port, TcpTarget.Listener, 0x04, SeqBase.PeerNext, 0, AckBase.OurNext, 0, [], []));
                }
                if (r.Chance(0.03))
                {
                    steps.Add(new FuzzStep(null, r.Pick(1000, 3000, 64_000), "time"));
                }
            }
        }

        private TcpSpec Segment(bool v6, int source, ushort port, TcpTarget target, byte flags, SeqBase seq, int seqDelta, AckBase ack,
            int ackDelta, byte[] payload, byte[] options, ushort? window = null, int mutations = 0, bool fix = false) =>
            new(v6, source, port, target, flags, seq, seqDelta, ack, ackDelta, r.UInt(), r.UInt(),
                window ?? (r.Chance(0.8) ? (ushort)65535 : r.InterestingUShort(0)), options,
                options.Length >= 10 && r.Chance(0.8), payload, r.Chance(0.05) ? r.InterestingUShort(0) : (ushort)0,
                mutations, r.ULong(), fix);

        private void AddTcp(string what, TcpSpec spec) => steps.Add(new FuzzStep(null, r.Chance(0.03) ? r.Pick(40, 200, 1000) : 0, what, spec));

        private TcpTarget RandomTarget() => r.Int(4) switch
        {
            0 => TcpTarget.Listener,
            1 => TcpTarget.Established,
            2 => TcpTarget.Active,
            _ => TcpTarget.Closed,
        };

        private byte RandomFlags() => r.Chance(0.5) ? r.Pick<byte>(0x02, 0x10, 0x18, 0x11, 0x04, 0x14, 0x12, 0x01, 0x00, 0x03, 0x06, 0x3F, 0xFF) : r.Byte();

        private int SeqDelta() => r.Chance(0.5) ? 0 : r.Pick(1, -1, 1460, -1460, 65535, 1 << 20, -(1 << 20), int.MinValue);

        private byte[] TcpPayload() => r.Bytes(r.Chance(0.3) ? r.Int(1, 8) : r.Length(Math.Min(mtu, 65_000) - 80));

        // SYN options: MSS, window scale, SACK permitted, timestamps, in random order, sometimes malformed.
        private byte[] SynOptions()
        {
            var o = new List<byte>();
            if (r.Chance(0.8))
            {
                ushort mss = r.Pick<ushort>(1460, 536, 1, 0, 64, 1220, 8960, 65535);
                o.AddRange([2, 4, (byte)(mss >> 8), (byte)mss]);
            }
            if (r.Chance(0.7))
            {
                o.AddRange([1, 3, 3, r.Pick<byte>(0, 7, 14, 15, 255)]);
            }
            if (r.Chance(0.7))
            {
                o.AddRange([4, 2]);
            }
            if (r.Chance(0.7))
            {
                o.AddRange([8, 10, .. r.Bytes(8)]);
            }
            JunkTcpOption(o);
            return [.. o.Take(40)];
        }

        // Options of an established connection: timestamps (the host's echoed), SACK blocks, junk.
        private byte[] DataOptions()
        {
            var o = new List<byte>();
            if (r.Chance(0.6))
            {
                o.AddRange([1, 1, 8, 10, .. new byte[8]]);
            }
            if (r.Chance(0.2))
            {
                int blocks = r.Int(1, 3);
                o.AddRange([1, 1, 5, (byte)(2 + 8 * blocks)]);
                for (int b = 0; b < blocks; b++)
                {
                    o.AddRange(r.Bytes(8));
                }
            }
            JunkTcpOption(o);
            return [.. o.Take(40)];
        }

        private void JunkTcpOption(List<byte> o)
        {
            if (r.Chance(0.15))
            {
                o.Add(r.Pick<byte>(0, 2, 3, 4, 5, 8, 19, 28, 30, 34, 253, r.Byte()));
                int length = r.Pick(0, 1, 2, 3, 10, 40, 255);
                o.Add((byte)length);
                o.AddRange(r.Bytes(Math.Clamp(length - 2, 0, 12)));
            }
        }

        private void Shuffle(List<byte[]> list)
        {
            for (int i = list.Count - 1; i > 0; i--)
            {
                int j = r.Int(i + 1);
                (list[i], list[j]) = (list[j], list[i]);
            }
        }

        private byte[] Frame(byte[] ip, LinkAddress? destination = null, LinkAddress? source = null)
        {
            if (!ethernet)
            {
                return ip;
            }
            ushort type = ip.Length > 0 && ip[0] >> 4 == 6 ? Wire.EtherIPv6 : Wire.EtherIPv4;
            if (r.Chance(0.03))
            {
                type = r.Pick(EtherTypes);
            }
            return Wire.Ethernet(destination ?? (r.Chance(0.9) ? FuzzHost.OurMac : DestinationMac()), source ?? SourceMac(), type, ip);
        }

        private LinkAddress DestinationMac() => r.Int(6) switch
        {
            0 or 1 => FuzzHost.OurMac,
            2 => LinkAddress.Broadcast,
            3 => LinkAddress.FromIPv6Multicast(r.Pick(Address.AllNodesV6, Ipv6Address.SolicitedNode(FuzzHost.Us6))),
            4 => LinkAddress.FromIPv4Multicast(r.Pick(Address.Parse("224.0.0.1"), FuzzHost.Group4)),
            _ => LinkAddress.FromUInt64(r.ULong()),
        };

        private LinkAddress SourceMac() => r.Chance(0.7) ? FuzzHost.PeerMac : r.Chance(0.8) ? _packets.RandomUnicastMac() : LinkAddress.FromUInt64(r.ULong());

        private void Add(byte[] frame, string what, int advance = 0)
        {
            if (advance == 0 && r.Chance(0.05))
            {
                advance = r.Pick(1, 10, 500, 1000, 2000);
            }
            steps.Add(new FuzzStep(frame, advance, what));
        }
    }
}
