using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Link.Channel;
using Netstack.Stack;

namespace Netstack.Benchmarks;

/// <summary>
/// What one hostile packet costs when it hits a full table: a forged ICMP fragmentation-needed / Packet Too Big
/// about a new destination with a full path MTU cache (4,096 entries), and an ARP request from a new sender with
/// a full neighbour cache (512 entries). Each must cost about what an ordinary packet costs, or a modest flood
/// exhausts the CPU.
/// </summary>
[MemoryDiagnoser]
public class HostileInputBenchmarks
{
    private const int Destinations = 1 << 16;
    private static readonly Address Us4 = Address.Parse("10.0.0.2");
    private static readonly Address Peer4 = Address.Parse("10.0.0.1");
    private static readonly Address Us6 = Address.Parse("fd00::2");
    private static readonly Address Peer6 = Address.Parse("fd00::1");
    private static readonly LinkAddress OurMac = LinkAddress.Parse("02:00:00:00:00:02");

    private NetworkStack _stack = null!;
    private Nic _nic = null!;
    private ChannelEndpoint _link = null!;
    private byte[][] _fragNeeded = null!;
    private byte[][] _packetTooBig = null!;
    private byte[][] _arpRequests = null!;
    private int _next4;
    private int _next6;
    private int _nextArp;

    [GlobalSetup]
    public void Setup()
    {
        _link = new ChannelEndpoint(1500, OurMac, capacity: 1);
        _stack = new NetworkStack();
        _nic = _stack.CreateNic(1, _link);
        _stack.AddAddress(1, new AddressWithPrefix(Us4, 8));
        _stack.AddAddress(1, new AddressWithPrefix(Us6, 64));
        _fragNeeded = new byte[Destinations][];
        _packetTooBig = new byte[Destinations][];
        _arpRequests = new byte[Destinations][];
        for (int i = 0; i < Destinations; i++)
        {
            _fragNeeded[i] = FragmentationNeeded(Address.FromV4(0xC000_0000u + (uint)i));
            _packetTooBig[i] = PacketTooBig(Address.FromV6(0x2001_0DB8_0000_0000UL, (ulong)i));
            _arpRequests[i] = ArpRequest(Address.FromV4(0x0A01_0000u + (uint)i), LinkAddress.FromUInt64(0x0200_0001_0000UL + (ulong)i));
        }
        // Fill the tables.
        for (int i = 0; i < 4096; i++)
        {
            ForgedFragmentationNeeded();
            ForgedPacketTooBig();
        }
        for (int i = 0; i < 512; i++)
        {
            ArpRequestFromANewSender();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stack.Dispose();
        _link.Dispose();
    }

    /// <summary>ICMPv4 fragmentation needed (MTU 576) quoting a datagram "we sent" to a destination not in the full cache.</summary>
    [Benchmark]
    public void ForgedFragmentationNeeded() => Inject(_fragNeeded[_next4++ & (Destinations - 1)]);

    /// <summary>ICMPv6 Packet Too Big (MTU 1280) quoting a packet "we sent" to a destination not in the full cache.</summary>
    [Benchmark]
    public void ForgedPacketTooBig() => Inject(_packetTooBig[_next6++ & (Destinations - 1)]);

    /// <summary>An ARP request for our address from a sender not in the full neighbour cache (the reply is dropped by the link).</summary>
    [Benchmark]
    public void ArpRequestFromANewSender() => Inject(_arpRequests[_nextArp++ & (Destinations - 1)]);

    private void Inject(byte[] frame)
    {
        var p = PacketBuffer.Rent(0, frame);
        _link.InjectFrame(p);
        p.Release();
        _link.DrainOutbound();
    }

    private static byte[] FragmentationNeeded(Address destination)
    {
        var quoted = new byte[28];
        Ipv4Header.Encode(quoted, new Ipv4Fields
        {
            TotalLength = 1500, Ttl = 64, Protocol = 17, Source = Us4, Destination = destination,
        });
        var icmp = new byte[8 + quoted.Length];
        icmp[0] = 3;
        icmp[1] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), 576);
        quoted.CopyTo(icmp, 8);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), Checksum.Compute(icmp));
        var ip = new byte[20 + icmp.Length];
        Ipv4Header.Encode(ip, new Ipv4Fields
        {
            TotalLength = (ushort)ip.Length, Ttl = 64, Protocol = 1, Source = Peer4, Destination = Us4,
        });
        icmp.CopyTo(ip, 20);
        return Ethernet(0x0800, ip);
    }

    private static byte[] PacketTooBig(Address destination)
    {
        var quoted = new byte[48];
        Ipv6Header.Encode(quoted, 8, 17, 64, Us6, destination);
        var icmp = new byte[8 + quoted.Length];
        icmp[0] = 2;
        BinaryPrimitives.WriteUInt32BigEndian(icmp.AsSpan(4), 1280);
        quoted.CopyTo(icmp, 8);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2),
            Checksum.Compute(icmp, Checksum.PseudoHeaderSum(Peer6, Us6, 58, icmp.Length)));
        var ip = new byte[40 + icmp.Length];
        Ipv6Header.Encode(ip, icmp.Length, 58, 64, Peer6, Us6);
        icmp.CopyTo(ip, 40);
        return Ethernet(0x86DD, ip);
    }

    private static byte[] ArpRequest(Address sender, LinkAddress senderMac)
    {
        var arp = new byte[ArpPacket.Size];
        ArpPacket.Encode(arp, ArpPacket.OpRequest, senderMac, sender, default, Us4);
        var frame = new byte[14 + arp.Length];
        EthernetHeader.Encode(frame, LinkAddress.Broadcast, senderMac, 0x0806);
        arp.CopyTo(frame, 14);
        return frame;
    }

    private static byte[] Ethernet(ushort type, byte[] payload)
    {
        var frame = new byte[14 + payload.Length];
        EthernetHeader.Encode(frame, OurMac, LinkAddress.Parse("02:00:00:00:00:01"), type);
        payload.CopyTo(frame, 14);
        return frame;
    }
}
