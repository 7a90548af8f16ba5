using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Link.Channel;
using Netstack.Stack;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// A link that claims host GSO and TX checksum offload, and does what the kernel does with a virtio-net
/// header: cuts TCP/IPv4 super-segments into MSS-sized ones and completes partial checksums (adjusting the
/// pseudo-header sum in the field by the length change, as Linux's tcp_gso_segment does). What reaches the
/// inner ChannelEndpoint is therefore exactly what a kernel peer would see.
/// </summary>
internal sealed class GsoEmulatingLink : ILinkEndpoint
{
    public GsoEmulatingLink(ChannelEndpoint inner) => Inner = inner;

    public ChannelEndpoint Inner { get; }

    public int SuperSegments;

    public int Mtu => Inner.Mtu;

    public int MaxHeaderLength => Inner.MaxHeaderLength;

    public LinkAddress LinkAddress => Inner.LinkAddress;

    public LinkCapabilities Capabilities => Inner.Capabilities | LinkCapabilities.HardwareGso | LinkCapabilities.TxChecksumOffload;

    public ArpHardwareType ArpHardwareType => Inner.ArpHardwareType;

    public int GsoMaxSize => 65536;

    public bool IsAttached => Inner.IsAttached;

    public void Attach(INetworkDispatcher? dispatcher) => Inner.Attach(dispatcher);

    public void Wait()
    {
    }

    public void AddHeader(PacketBuffer packet) => Inner.AddHeader(packet);

    public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets)
    {
        foreach (var p in packets)
        {
            var bytes = p.ToArray();
            var gso = p.Gso;
            if (gso.Type == GsoType.TcpV4 && p.DataSize > gso.Mss)
            {
                Interlocked.Increment(ref SuperSegments);
                Segment(bytes, gso.Mss);
            }
            else
            {
                if (gso.NeedsChecksum)
                {
                    CompleteChecksum(bytes);
                }
                Emit(bytes);
            }
        }
        return new WriteResult(packets.Length, TcpipError.None);
    }

    public void Dispose() => Inner.Dispose();

    private void Segment(byte[] packet, int mss)
    {
        int ipLength = 20;
        int tcpHeader = (packet[ipLength + 12] >> 4) * 4;
        int headers = ipLength + tcpHeader;
        int payload = packet.Length - headers;
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(ipLength + 4));
        byte flags = packet[ipLength + 13];
        ushort field = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(ipLength + 16));
        int oldTcpLength = packet.Length - ipLength;
        for (int offset = 0; offset < payload; offset += mss)
        {
            int n = Math.Min(mss, payload - offset);
            var seg = new byte[headers + n];
            packet.AsSpan(0, headers).CopyTo(seg);
            packet.AsSpan(headers + offset, n).CopyTo(seg.AsSpan(headers));
            BinaryPrimitives.WriteUInt16BigEndian(seg.AsSpan(2), (ushort)seg.Length);
            BinaryPrimitives.WriteUInt16BigEndian(seg.AsSpan(10), 0);
            BinaryPrimitives.WriteUInt16BigEndian(seg.AsSpan(10), Checksum.Compute(seg.AsSpan(0, 20)));
            BinaryPrimitives.WriteUInt32BigEndian(seg.AsSpan(ipLength + 4), seq + (uint)offset);
            bool last = offset + n == payload;
            seg[ipLength + 13] = last ? flags : (byte)(flags & ~(byte)(TcpFlags.Fin | TcpFlags.Psh));
            // Linux: check = ~fold(unfold(check) + (new length - old length)).
            int newTcpLength = seg.Length - ipLength;
            ushort adjusted = Checksum.Combine(Checksum.Combine(field, (ushort)~(ushort)oldTcpLength), (ushort)newTcpLength);
            BinaryPrimitives.WriteUInt16BigEndian(seg.AsSpan(ipLength + 16), adjusted);
            CompleteChecksum(seg);
            Emit(seg);
        }
    }

    // CHECKSUM_PARTIAL completion: the field holds the pseudo-header sum; the result is the complement of
    // the sum over the TCP header (with that field) and the data.
    private static void CompleteChecksum(byte[] packet)
    {
        var tcp = packet.AsSpan(20);
        ushort sum = Checksum.Sum(tcp);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Checksum.Finish(sum));
    }

    private void Emit(byte[] frame)
    {
        var p = PacketBuffer.Rent(0, frame);
        Inner.WritePackets(new ReadOnlySpan<PacketBuffer>(in p));
        p.Release();
    }
}
