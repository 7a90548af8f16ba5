using System.Buffers.Binary;
using CsCheck;
using Netstack.Buffers;
using Netstack.Interop;
using Netstack.Link.FdBased;
using Netstack.Link.PacketSocket;
using Netstack.Stack;
using Netstack.Tests.Fuzz;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

/// <summary>
/// Hostile frames through real file descriptors into <see cref="FdBasedEndpoint"/> with the whole stack on top:
/// empty reads, runts, bare headers, garbage EtherTypes, foreign MACs, frames larger than the receive buffer or
/// the ring frame, reads shorter than the virtio-net header, and a few hundred fuzzed frames. The reader keeps
/// running (the stack still answers a ping through the same fd), every drop is counted by reason, no handler
/// faults, and after disposal every receive chunk is back in its pool.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FdBasedHostileFramesTests
{
    private static readonly LinkAddress OurMac = FuzzHost.OurMac;
    private static readonly LinkAddress PeerMac = FuzzHost.PeerMac;

    [Theory]
    [InlineData(PacketDispatchMode.Readv, SocketNative.SOCK_SEQPACKET, true)]
    [InlineData(PacketDispatchMode.Readv, SocketNative.SOCK_DGRAM, true)]
    [InlineData(PacketDispatchMode.RecvMmsg, SocketNative.SOCK_SEQPACKET, true)]
    [InlineData(PacketDispatchMode.RecvMmsg, SocketNative.SOCK_DGRAM, true)]
    [InlineData(PacketDispatchMode.Readv, SocketNative.SOCK_SEQPACKET, false)]
    [InlineData(PacketDispatchMode.RecvMmsg, SocketNative.SOCK_DGRAM, false)]
    public void SocketPairReaderSurvivesHostileFrames(PacketDispatchMode mode, int socketType, bool ethernet)
    {
        long sharedBefore = ChunkPool.Shared.Outstanding;
        var pool = new ChunkPool();
        using (var pair = new SocketPair(socketType))
        {
            SocketNative.SetInt(pair.Peer, SocketNative.SOL_SOCKET, SocketNative.SO_SNDBUFFORCE, 1 << 20);
            var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
            {
                Fds = [pair.Local], EthernetHeader = ethernet, Address = ethernet ? OurMac : default, PacketDispatchMode = mode,
            }, pool);
            using (var host = new RealHost(ep, ethernet))
            {
                int runts = 0;
                if (ethernet)
                {
                    for (int n = 1; n < 14; n++)
                    {
                        pair.Send(new byte[n]);
                        runts++;
                    }
                }
                // Empty datagrams (on SEQPACKET an empty record, not the end of file).
                pair.Send([]);
                pair.Send([]);
                // A bare header, garbage EtherTypes, another host's MAC, a non-IP version nibble.
                pair.Send(ethernet ? Wire.Ethernet(OurMac, PeerMac, Wire.EtherIPv4, []) : [0x45]);
                foreach (ushort type in (ushort[])[0x0000, 0x05DC, 0x8100, 0x88CC, 0xFFFF, 0x0801])
                {
                    pair.Send(ethernet ? Wire.Ethernet(OurMac, PeerMac, type, new byte[46]) : [0x00, .. new byte[45]]);
                }
                if (ethernet)
                {
                    pair.Send(Wire.Ethernet(LinkAddress.Parse("02:00:00:00:00:77"), PeerMac, Wire.EtherIPv4, new byte[46]));
                }
                // Larger than the 65,664-byte receive layout: MSG_TRUNC.
                pair.Send(Oversize(ethernet, 70_000));
                // Exactly the layout: fits.
                pair.Send(Oversize(ethernet, ReceiveBufferLayout.TotalSize));
                foreach (var frame in FuzzFrames(ethernet, 300))
                {
                    pair.Send(frame);
                    if (ethernet && frame.Length is > 0 and < 14)
                    {
                        runts++;
                    }
                }
                host.Ping(frame => pair.Send(frame), () => pair.Receive(timeoutMs: 200));
                var stats = ep.Statistics;
                Assert.Equal(runts, stats.Drops(DropReason.Runt));
                Assert.True(stats.Drops(DropReason.Empty) >= 2, stats.ToString());
                Assert.Equal(1, stats.Drops(DropReason.Truncated));
                if (ethernet)
                {
                    Assert.True(stats.Drops(DropReason.OtherHost) >= 1, stats.ToString());
                    Assert.True(host.Nic.Stats.DroppedUnknownNetworkProtocol.Value >= 6);
                }
                else
                {
                    Assert.True(stats.Drops(DropReason.UnknownProtocol) >= 7, stats.ToString());
                }
                host.AssertNoFaults();
            }
            ep.Dispose();
        }
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(sharedBefore, ChunkPool.Shared.Outstanding);
    }

    [Theory]
    [InlineData(PacketDispatchMode.Readv)]
    [InlineData(PacketDispatchMode.RecvMmsg)]
    public void ReadsShorterThanTheVirtioHeaderAreDropped(PacketDispatchMode mode)
    {
        var pool = new ChunkPool();
        using (var pair = new SocketPair(SocketNative.SOCK_SEQPACKET))
        {
            // Host GSO on a socket: every read starts with a 10-byte virtio-net header.
            var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
            {
                Fds = [pair.Local], EthernetHeader = true, Address = OurMac, PacketDispatchMode = mode, GsoMaxSize = 65536,
            }, pool);
            using (var host = new RealHost(ep, ethernet: true))
            {
                for (int n = 1; n < VirtioNetHeaderSize; n++)
                {
                    pair.Send(new byte[n]);
                }
                // A header and nothing after it, a header and a runt, a garbage header before a valid frame.
                pair.Send(new byte[VirtioNetHeaderSize]);
                pair.Send(new byte[VirtioNetHeaderSize + 5]);
                var rng = new Random(5);
                for (int i = 0; i < 50; i++)
                {
                    var garbage = new byte[VirtioNetHeaderSize];
                    rng.NextBytes(garbage);
                    pair.Send([.. garbage, .. Wire.Ethernet(OurMac, PeerMac, Wire.EtherIPv4, new byte[rng.Next(0, 200)])]);
                }
                host.Ping(frame => pair.Send([.. new byte[VirtioNetHeaderSize], .. frame]), () => pair.Receive(timeoutMs: 200)?[VirtioNetHeaderSize..]);
                Assert.Equal(VirtioNetHeaderSize - 1, ep.Statistics.Drops(DropReason.ShortVirtioHeader));
                Assert.Equal(1, ep.Statistics.Drops(DropReason.Empty));
                Assert.Equal(1, ep.Statistics.Drops(DropReason.Runt));
                host.AssertNoFaults();
            }
            ep.Dispose();
        }
        Assert.Equal(0, pool.Outstanding);
    }

    [SkippableTheory]
    [InlineData(PacketDispatchMode.Readv)]
    [InlineData(PacketDispatchMode.RecvMmsg)]
    [InlineData(PacketDispatchMode.PacketMmap)]
    public void VethReaderSurvivesHostileFrames(PacketDispatchMode mode)
    {
        Privileges.RequireNetworkAdmin();
        var pool = new ChunkPool();
        using (var ns = new NetNamespace())
        {
            // The wire carries 9,000-byte frames; our endpoint (and its ring) is sized for 1,500.
            _ = new VethPair(ns, mtu: 9000);
            using var ours = ns.Enter(() => PacketSocket.Open(VethPair.A));
            using var peer = ns.Enter(() => PacketSocket.Open(VethPair.B));
            TcpipError? closed = null;
            var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
            {
                Fds = [ours.Fd], EthernetHeader = true, Address = VethPair.MacA, PacketDispatchMode = mode, Mtu = 1500,
                ClosedCallback = e => closed = e,
            }, pool);
            using (var host = new RealHost(ep, ethernet: true, VethPair.MacA, VethPair.MacB))
            {
                void Send(byte[] frame) => PacketSocketTests.WriteFrame(peer.Fd, frame);
                foreach (ushort type in (ushort[])[0x0000, 0x05DC, 0x8100, 0x88CC, 0xFFFF, 0x0801])
                {
                    Send(Wire.Ethernet(VethPair.MacA, VethPair.MacB, type, new byte[46]));
                }
                Send(Wire.Ethernet(LinkAddress.Parse("02:00:00:00:00:77"), VethPair.MacB, Wire.EtherIPv4, new byte[46]));
                // Jumbo frames: larger than the ring frame (PacketMmap truncates them), fine for the other modes.
                for (int i = 0; i < 3; i++)
                {
                    Send(Wire.Ethernet(VethPair.MacA, VethPair.MacB, Wire.EtherIPv4, new byte[8000]));
                }
                foreach (var frame in FuzzFrames(ethernet: true, 300, VethPair.MacA))
                {
                    if (frame.Length >= 14 && frame.Length <= 9014)
                    {
                        Send(frame);
                    }
                }
                host.Ping(Send, () => SocketPair.ReadFrom(peer.Fd, timeoutMs: 200), () => $"closed: {closed}; {ep.Statistics}; {host.Nic.Stats}; {host.Stack.Stats}");
                var stats = ep.Statistics;
                Assert.True(stats.Drops(DropReason.OtherHost) >= 1, stats.ToString());
                if (mode == PacketDispatchMode.PacketMmap)
                {
                    Assert.True(stats.Drops(DropReason.Truncated) >= 3, stats.ToString());
                }
                host.AssertNoFaults();
            }
            ep.Dispose();
        }
        Assert.Equal(0, pool.Outstanding);
    }

    private const int VirtioNetHeaderSize = 10;

    private static byte[] Oversize(bool ethernet, int length)
    {
        var frame = new byte[length];
        if (ethernet)
        {
            Wire.Ethernet(OurMac, PeerMac, Wire.EtherIPv4, []).CopyTo(frame, 0);
            frame[14] = 0x45;
        }
        else
        {
            frame[0] = 0x45;
        }
        return frame;
    }

    // Mutated and random frames from the fuzzer (addressed to `mac` on Ethernet).
    private static IEnumerable<byte[]> FuzzFrames(bool ethernet, int count, LinkAddress? mac = null)
    {
        var gen = new CaseGenerator(ethernet, CaseKind.Mixed, 20);
        var pcg = new PCG(7, 1);
        int n = 0;
        while (n < count)
        {
            foreach (var step in gen.Generate(pcg, null, out _).Steps)
            {
                if (step.Frame is null || n >= count)
                {
                    continue;
                }
                var frame = step.Frame;
                if (ethernet && mac is { } m && frame.Length >= 6 && LinkAddress.FromBytes(frame) == OurMac)
                {
                    frame = (byte[])frame.Clone();
                    m.WriteTo(frame);
                }
                n++;
                yield return frame;
            }
        }
    }

    /// <summary>A full stack on a real endpoint, with the addresses and the static peer the fuzz host has.</summary>
    private sealed class RealHost : IDisposable
    {
        private readonly List<Exception> _faults = new();
        private readonly LinkAddress _ourMac;
        private readonly LinkAddress _peerMac;

        public RealHost(ILinkEndpoint link, bool ethernet, LinkAddress? ourMac = null, LinkAddress? peerMac = null)
        {
            _ourMac = ourMac ?? OurMac;
            _peerMac = peerMac ?? PeerMac;
            Ethernet = ethernet;
            Stack = new NetworkStack();
            Stack.HandlerFault += (_, e) =>
            {
                lock (_faults)
                {
                    _faults.Add(e);
                }
            };
            Nic = Stack.CreateNic(1, link);
            Stack.AddAddress(1, new AddressWithPrefix(FuzzHost.Us4, 24));
            if (ethernet)
            {
                Nic.GetNeighborCache(NetworkProtocolNumber.IPv4)!.AddStatic(FuzzHost.Peer4, _peerMac);
            }
        }

        public bool Ethernet { get; }

        public NetworkStack Stack { get; }

        public Nic Nic { get; }

        /// <summary>
        /// Sends echo requests from the peer (one a second: on a veth the kernel may drop one while the socket's
        /// receive buffer is still full of the flood) and waits for our reply among what comes back.
        /// </summary>
        public void Ping(Action<byte[]> send, Func<byte[]?> receive, Func<string>? diagnostics = null)
        {
            var ip = Wire.Ipv4(FuzzHost.Peer4, FuzzHost.Us4, Wire.Icmpv4, Wire.Icmp4(8, 0, 0x7777_0001, "alive"u8));
            var request = Ethernet ? Wire.Ethernet(_ourMac, _peerMac, Wire.EtherIPv4, ip) : ip;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            var resend = DateTime.MinValue;
            while (DateTime.UtcNow < deadline)
            {
                if (DateTime.UtcNow >= resend)
                {
                    send(request);
                    resend = DateTime.UtcNow.AddSeconds(1);
                }
                var frame = receive();
                if (frame is null)
                {
                    continue;
                }
                var packet = Ethernet ? frame.AsSpan(Math.Min(14, frame.Length)) : frame;
                if (packet.Length >= 28 && packet[0] >> 4 == 4 && packet[9] == Wire.Icmpv4 && packet[20] == 0
                    && BinaryPrimitives.ReadUInt32BigEndian(packet[24..]) == 0x7777_0001)
                {
                    return;
                }
            }
            Assert.Fail($"no echo reply: the reader or the stack stopped ({diagnostics?.Invoke()})");
        }

        public void AssertNoFaults()
        {
            lock (_faults)
            {
                Assert.Empty(_faults);
            }
            Assert.Equal(0, Stack.Stats.HandlerFaults.Value);
            Assert.Equal(0, Nic.Stats.DroppedHandlerFault.Value);
        }

        public void Dispose() => Stack.Dispose();
    }
}
