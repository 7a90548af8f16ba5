using System.Threading.Channels;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Link.Channel;

/// <summary>
/// An in-memory link endpoint for unit tests of protocol logic (gVisor's <c>channel.Endpoint</c>): what the
/// stack writes can be read from <see cref="Outbound"/> as whole frames, and frames or packets are injected
/// as if received. With a link address it frames Ethernet and requires neighbour resolution.
/// Real-fd tests use the fd-based endpoint instead.
/// </summary>
public sealed class ChannelEndpoint : ILinkEndpoint
{
    private readonly Channel<PacketBuffer> _outbound;
    private volatile INetworkDispatcher? _dispatcher;

    /// <summary>Creates an endpoint; a non-empty <paramref name="linkAddress"/> makes it an Ethernet link.</summary>
    public ChannelEndpoint(int mtu = 1500, LinkAddress linkAddress = default, LinkCapabilities capabilities = LinkCapabilities.None, int capacity = 4096)
    {
        if (mtu < 68 || mtu > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(mtu), mtu, "mtu must be 68..65535.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Mtu = mtu;
        LinkAddress = linkAddress;
        Capabilities = capabilities | (linkAddress.IsEmpty ? 0 : LinkCapabilities.ResolutionRequired);
        _outbound = System.Threading.Channels.Channel.CreateBounded<PacketBuffer>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <inheritdoc/>
    public int Mtu { get; }

    /// <inheritdoc/>
    public int MaxHeaderLength => IsEthernet ? EthernetHeader.Size : 0;

    /// <inheritdoc/>
    public LinkAddress LinkAddress { get; }

    /// <inheritdoc/>
    public LinkCapabilities Capabilities { get; }

    /// <inheritdoc/>
    public ArpHardwareType ArpHardwareType => IsEthernet ? ArpHardwareType.Ether : ArpHardwareType.None;

    /// <inheritdoc/>
    public int GsoMaxSize => 0;

    /// <inheritdoc/>
    public bool IsAttached => _dispatcher is not null;

    /// <summary>True when the endpoint frames Ethernet.</summary>
    public bool IsEthernet => !LinkAddress.IsEmpty;

    /// <summary>Frames the stack wrote, link header included; the reader releases each.</summary>
    public ChannelReader<PacketBuffer> Outbound => _outbound.Reader;

    /// <summary>Packets dropped because <see cref="Outbound"/> was full.</summary>
    public long OutboundDrops { get; private set; }

    /// <inheritdoc/>
    public void Attach(INetworkDispatcher? dispatcher) => _dispatcher = dispatcher;

    /// <inheritdoc/>
    public void Wait()
    {
    }

    /// <inheritdoc/>
    public void AddHeader(PacketBuffer packet)
    {
        if (IsEthernet)
        {
            var local = packet.LocalLinkAddress.IsEmpty ? LinkAddress : packet.LocalLinkAddress;
            EthernetHeader.Encode(packet.PushHeader(HeaderKind.Link, EthernetHeader.Size), packet.RemoteLinkAddress, local, packet.NetworkProtocol);
        }
    }

    /// <inheritdoc/>
    public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            var p = packets[i];
            AddHeader(p);
            p.IncRef();
            if (!_outbound.Writer.TryWrite(p))
            {
                p.Release();
                OutboundDrops++;
                return new WriteResult(i, TcpipError.NoBufferSpace);
            }
        }
        return new WriteResult(packets.Length, TcpipError.None);
    }

    /// <summary>Reads the next frame the stack wrote, or null if none is waiting.</summary>
    public PacketBuffer? TryReadOutbound() => _outbound.Reader.TryRead(out var p) ? p : null;

    /// <summary>Waits for the next frame the stack writes.</summary>
    public ValueTask<PacketBuffer> ReadOutboundAsync(CancellationToken cancellationToken = default) =>
        _outbound.Reader.ReadAsync(cancellationToken);

    /// <summary>Releases every waiting outbound frame; returns how many there were.</summary>
    public int DrainOutbound()
    {
        int n = 0;
        while (_outbound.Reader.TryRead(out var p))
        {
            p.Release();
            n++;
        }
        return n;
    }

    /// <summary>
    /// Delivers a received frame (a copy of <paramref name="frame"/>): Ethernet parsed on an Ethernet link,
    /// otherwise the protocol comes from the IP version nibble. False when the frame was unusable.
    /// </summary>
    public bool InjectFrame(ReadOnlySpan<byte> frame)
    {
        var packet = PacketBuffer.Rent(0, frame);
        try
        {
            return InjectFrame(packet);
        }
        finally
        {
            packet.Release();
        }
    }

    /// <summary>Delivers a received frame held in <paramref name="frame"/> (the caller keeps ownership).</summary>
    public bool InjectFrame(PacketBuffer frame)
    {
        var dispatcher = _dispatcher;
        if (dispatcher is null)
        {
            return false;
        }
        ushort protocol;
        if (IsEthernet)
        {
            if (!frame.TryConsumeHeader(HeaderKind.Link, EthernetHeader.Size, out var bytes))
            {
                return false;
            }
            EthernetHeader.TryParse(bytes, out var eth);
            var dst = eth.Destination;
            if (!dst.IsGroup && dst != LinkAddress)
            {
                return false;
            }
            frame.PacketType = dst.IsBroadcast ? PacketType.Broadcast : dst.IsGroup ? PacketType.Multicast : PacketType.Host;
            frame.RemoteLinkAddress = eth.Source;
            frame.LocalLinkAddress = dst;
            protocol = eth.EtherType;
        }
        else
        {
            if (!frame.TryPeekData(1, out var first))
            {
                return false;
            }
            protocol = (first[0] >> 4) switch
            {
                4 => NetworkProtocolNumber.IPv4,
                6 => NetworkProtocolNumber.IPv6,
                _ => 0,
            };
            if (protocol == 0)
            {
                return false;
            }
        }
        dispatcher.DeliverNetworkPacket(protocol, frame);
        return true;
    }

    /// <summary>Detaches and drops every waiting outbound frame.</summary>
    public void Dispose()
    {
        _dispatcher = null;
        _outbound.Writer.TryComplete();
        DrainOutbound();
    }
}
