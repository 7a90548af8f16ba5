using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Link.FdBased;

/// <summary>
/// What happens to a frame after a read, whatever the dispatch mode: classify it from its first bytes
/// (runt, foreign MAC, protocol), then consume the link header, fill the packet's link metadata and hand it
/// to the network dispatcher. A bad frame is dropped and counted; nothing here throws.
/// </summary>
internal sealed class InboundProcessor
{
    private readonly INetworkDispatcher _dispatcher;
    private readonly LinkStatistics _stats;
    private readonly bool _ethernet;
    private readonly LinkAddress _address;

    public InboundProcessor(INetworkDispatcher dispatcher, LinkStatistics stats, bool ethernet, bool virtioHeader, LinkAddress address)
    {
        _dispatcher = dispatcher;
        _stats = stats;
        _ethernet = ethernet;
        _address = address;
        VirtioHeaderLength = virtioHeader ? VirtioNetHeader.Size : 0;
    }

    /// <summary>Bytes of virtio-net header in front of every frame (0 without host GSO).</summary>
    public int VirtioHeaderLength { get; }

    /// <summary>Packets delivered since the last <see cref="Flush"/> (reader-thread local).</summary>
    public long Packets;

    /// <summary>Bytes delivered since the last <see cref="Flush"/>.</summary>
    public long Bytes;

    /// <summary>
    /// Decides from the frame's head (virtio-net header already skipped) and its length whether to deliver it.
    /// Returns the protocol, or 0 after counting the drop.
    /// </summary>
    public ushort Classify(ReadOnlySpan<byte> head, int length)
    {
        if (length <= 0)
        {
            _stats.AddDrop(DropReason.Empty);
            return 0;
        }
        if (_ethernet)
        {
            if (length < EthernetHeader.Size)
            {
                _stats.AddDrop(DropReason.Runt);
                return 0;
            }
            // Group-bit destinations (broadcast, multicast) are for everyone; a unicast one must be ours.
            if ((head[0] & 1) == 0 && !_address.IsEmpty && LinkAddress.FromBytes(head) != _address)
            {
                _stats.AddDrop(DropReason.OtherHost);
                return 0;
            }
            ushort etherType = (ushort)(head[12] << 8 | head[13]);
            return etherType;
        }
        switch (head[0] >> 4)
        {
            case 4:
                return NetworkProtocolNumber.IPv4;
            case 6:
                return NetworkProtocolNumber.IPv6;
            default:
                _stats.AddDrop(DropReason.UnknownProtocol);
                return 0;
        }
    }

    /// <summary>Counts a drop decided by the dispatcher (truncation, short virtio header...).</summary>
    public void Drop(DropReason reason) => _stats.AddDrop(reason);

    /// <summary>Consumes the link header, delivers, and releases the reader's reference.</summary>
    public void Deliver(PacketBuffer pkt, ushort protocol)
    {
        int size = pkt.Size;
        try
        {
            pkt.NetworkProtocol = protocol;
            if (_ethernet && pkt.TryConsumeHeader(HeaderKind.Link, EthernetHeader.Size, out var link))
            {
                EthernetHeader.TryParse(link, out var eth);
                var destination = eth.Destination;
                pkt.LocalLinkAddress = destination;
                pkt.RemoteLinkAddress = eth.Source;
                pkt.PacketType = destination.IsBroadcast ? PacketType.Broadcast
                    : destination.IsGroup ? PacketType.Multicast
                    : PacketType.Host;
            }
            _dispatcher.DeliverNetworkPacket(protocol, pkt);
            Packets++;
            Bytes += size;
        }
        catch (Exception)
        {
            // The contract says the dispatcher does not throw; if it does, this packet is lost, the reader is not.
            _stats.AddDrop(DropReason.DispatcherFault);
        }
        finally
        {
            pkt.Release();
        }
    }

    /// <summary>Publishes the local packet and byte counts.</summary>
    public void Flush()
    {
        _stats.AddReceived(Packets, Bytes);
        Packets = 0;
        Bytes = 0;
    }
}
