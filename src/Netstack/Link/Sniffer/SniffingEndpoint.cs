using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Link.Sniffer;

/// <summary>
/// Wraps any <see cref="ILinkEndpoint"/> and records every packet the stack receives from it and sends
/// through it into a pcap (gVisor's <c>sniffer</c> endpoint, writing a file instead of logging): Ethernet
/// frames when the link has Ethernet framing, raw IP otherwise (pcap link types 1 and 101).
/// </summary>
/// <remarks>
/// <para>Packets are recorded as the stack sees them: inbound with the link header the endpoint consumed,
/// outbound before the link adds its header, which this wrapper writes into the record itself from the
/// packet's link addresses and protocol. GSO packets are recorded whole, as tcpdump shows them on an
/// offloading NIC, and a checksum left for the host to finish (TX offload) looks wrong in the capture.</para>
/// <para>Each packet is copied once into a per-thread buffer and written under the pcap writer's lock,
/// so sniffing costs a copy and a file write per packet: a debugging aid, not for full-rate benchmarks.</para>
/// </remarks>
public sealed class SniffingEndpoint : ILinkEndpoint, INetworkDispatcher
{
    private const int MaxRecord = 65536 + 2 * EthernetHeader.Size;

    [ThreadStatic]
    private static byte[]? _scratch;

    private readonly ILinkEndpoint _inner;
    private readonly PcapWriter _pcap;
    private readonly bool _ethernet;
    private readonly bool _leaveInnerOpen;
    private volatile INetworkDispatcher? _dispatcher;
    private long _received;
    private long _sent;

    /// <summary>Wraps <paramref name="inner"/>, recording into <paramref name="pcap"/>.</summary>
    /// <param name="inner">The endpoint to wrap; disposed with this one unless <paramref name="leaveInnerOpen"/>.</param>
    /// <param name="pcap">The writer; its link type must be <see cref="LinkTypeFor"/> the inner endpoint. Not disposed here.</param>
    /// <param name="leaveInnerOpen">True to leave <paramref name="inner"/> undisposed when this endpoint is disposed.</param>
    public SniffingEndpoint(ILinkEndpoint inner, PcapWriter pcap, bool leaveInnerOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(pcap);
        _inner = inner;
        _pcap = pcap;
        _ethernet = LinkTypeFor(inner) == PcapWriter.LinkTypeEthernet;
        _leaveInnerOpen = leaveInnerOpen;
    }

    /// <summary>The wrapped endpoint.</summary>
    public ILinkEndpoint Inner => _inner;

    /// <summary>Packets recorded on the way in.</summary>
    public long PacketsReceived => Interlocked.Read(ref _received);

    /// <summary>Packets recorded on the way out.</summary>
    public long PacketsSent => Interlocked.Read(ref _sent);

    /// <inheritdoc/>
    public int Mtu => _inner.Mtu;

    /// <inheritdoc/>
    public int MaxHeaderLength => _inner.MaxHeaderLength;

    /// <inheritdoc/>
    public LinkAddress LinkAddress => _inner.LinkAddress;

    /// <inheritdoc/>
    public LinkCapabilities Capabilities => _inner.Capabilities;

    /// <inheritdoc/>
    public ArpHardwareType ArpHardwareType => _inner.ArpHardwareType;

    /// <inheritdoc/>
    public int GsoMaxSize => _inner.GsoMaxSize;

    /// <inheritdoc/>
    public bool IsAttached => _dispatcher is not null;

    /// <summary>The pcap link type for packets of <paramref name="link"/>: Ethernet or raw IP.</summary>
    public static uint LinkTypeFor(ILinkEndpoint link)
    {
        ArgumentNullException.ThrowIfNull(link);
        return link.ArpHardwareType == ArpHardwareType.Ether ? PcapWriter.LinkTypeEthernet : PcapWriter.LinkTypeRaw;
    }

    /// <inheritdoc/>
    public void Attach(INetworkDispatcher? dispatcher)
    {
        if (dispatcher is null)
        {
            _inner.Attach(null);
            _dispatcher = null;
            return;
        }
        _dispatcher = dispatcher;
        _inner.Attach(this);
    }

    /// <inheritdoc/>
    public void Wait() => _inner.Wait();

    /// <inheritdoc/>
    public void AddHeader(PacketBuffer packet) => _inner.AddHeader(packet);

    /// <inheritdoc/>
    public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet)
    {
        var buffer = _scratch ??= new byte[MaxRecord];
        if (packet.Size <= buffer.Length)
        {
            int n = packet.CopyTo(buffer);
            _pcap.Write(buffer.AsSpan(0, n), DateTimeOffset.UtcNow);
            Interlocked.Increment(ref _received);
        }
        _dispatcher?.DeliverNetworkPacket(protocol, packet);
    }

    /// <inheritdoc/>
    public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets)
    {
        var buffer = _scratch ??= new byte[MaxRecord];
        var now = DateTimeOffset.UtcNow;
        foreach (var packet in packets)
        {
            int link = _ethernet ? EthernetHeader.Size : 0;
            if (packet.Size + link > buffer.Length)
            {
                continue;
            }
            if (_ethernet)
            {
                var source = packet.LocalLinkAddress.IsEmpty ? _inner.LinkAddress : packet.LocalLinkAddress;
                EthernetHeader.Encode(buffer, packet.RemoteLinkAddress, source, packet.NetworkProtocol);
            }
            int n = packet.CopyTo(buffer.AsSpan(link));
            _pcap.Write(buffer.AsSpan(0, link + n), now);
            Interlocked.Increment(ref _sent);
        }
        return _inner.WritePackets(packets);
    }

    /// <summary>Detaches and disposes the inner endpoint (unless told to leave it open); the pcap writer stays the caller's.</summary>
    public void Dispose()
    {
        _dispatcher = null;
        if (!_leaveInnerOpen)
        {
            _inner.Dispose();
        }
    }
}
