using System.Buffers.Binary;
using Netstack.Headers;
using Netstack.Link.Channel;
using Netstack.Link.Sniffer;
using Netstack.Network.Arp;
using Netstack.Network.IPv4;
using Netstack.Stack;
using Netstack.Tests.Network.IPv4;

namespace Netstack.Tests.Link;

/// <summary>The pcap sniffer wrapper: both directions recorded, raw IP or Ethernet, packets passed on unchanged.</summary>
public sealed class SniffingEndpointTests
{
    private static readonly Address Ours = Address.V4(10, 0, 0, 2);
    private static readonly Address Peer = Address.V4(10, 0, 0, 1);
    private static readonly LinkAddress OurMac = LinkAddress.Parse("02:00:00:00:00:02");

    [Fact]
    public void RawIpLinkRecordsTheRequestInAndTheReplyOut()
    {
        using var pcapStream = new MemoryStream();
        using var pcap = new PcapWriter(new NonClosing(pcapStream), PcapWriter.LinkTypeRaw);
        using var channel = new ChannelEndpoint();
        using var sniffer = new SniffingEndpoint(channel, pcap, leaveInnerOpen: true);
        using var stack = Stack(sniffer);
        var request = TestPackets.Ipv4(Peer, Ours, TestPackets.Icmp, TestPackets.EchoRequest(7, 1, TestPackets.Pattern(32)));

        Assert.True(channel.InjectFrame(request));

        var reply = channel.TryReadOutbound();
        Assert.NotNull(reply);
        var replyBytes = reply!.ToArray();
        reply.Release();
        Assert.Equal(1, sniffer.PacketsReceived);
        Assert.Equal(1, sniffer.PacketsSent);
        var records = Read(pcapStream, PcapWriter.LinkTypeRaw);
        Assert.Equal(2, records.Count);
        Assert.Equal(request, records[0]);
        Assert.Equal(replyBytes, records[1]);
        Assert.Equal(Icmpv4Type.EchoReply, records[1][20]);
    }

    [Fact]
    public void EthernetLinkRecordsFramesWithTheHeaderTheLinkWillAdd()
    {
        using var pcapStream = new MemoryStream();
        using var pcap = new PcapWriter(new NonClosing(pcapStream), PcapWriter.LinkTypeEthernet);
        using var channel = new ChannelEndpoint(linkAddress: OurMac);
        using var sniffer = new SniffingEndpoint(channel, pcap, leaveInnerOpen: true);
        Assert.Equal(PcapWriter.LinkTypeEthernet, SniffingEndpoint.LinkTypeFor(sniffer));
        using var stack = Stack(sniffer);
        var peerMac = LinkAddress.Parse("02:00:00:00:00:01");
        var frame = TestPackets.Ethernet(OurMac, peerMac, NetworkProtocolNumber.Arp,
            TestPackets.Arp(1, peerMac, Peer, LinkAddress.Empty, Ours));

        Assert.True(channel.InjectFrame(frame));

        var records = Read(pcapStream, PcapWriter.LinkTypeEthernet);
        Assert.Contains(frame, records);
        // The ARP reply: to the asker, from our MAC, EtherType ARP, opcode 2 (the announcement at start is a request).
        var reply = Assert.Single(records, r => BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(12)) == NetworkProtocolNumber.Arp
            && BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(20)) == 2);
        Assert.Equal(peerMac, LinkAddress.FromBytes(reply.AsSpan(0, 6)));
        Assert.Equal(OurMac, LinkAddress.FromBytes(reply.AsSpan(6, 6)));
        Assert.Equal(channel.DrainOutbound(), (int)sniffer.PacketsSent);
    }

    private static NetworkStack Stack(ILinkEndpoint link)
    {
        var stack = new NetworkStack(new StackOptions
        {
            NetworkProtocols = [s => new Ipv4Protocol(s), s => new ArpProtocol(s)],
            TransportProtocols = [],
        });
        stack.CreateNic(1, link);
        stack.AddAddress(1, new AddressWithPrefix(Ours, 24));
        return stack;
    }

    private static List<byte[]> Read(MemoryStream stream, uint linkType)
    {
        using var reader = new PcapReader(new MemoryStream(stream.ToArray()));
        Assert.Equal(linkType, reader.LinkType);
        var records = new List<byte[]>();
        while (reader.ReadNext() is { } r)
        {
            records.Add(r);
        }
        return records;
    }

    /// <summary>Keeps the memory stream readable after the pcap writer is disposed.</summary>
    private sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    }
}
