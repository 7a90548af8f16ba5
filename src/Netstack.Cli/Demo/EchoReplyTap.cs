using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Cli.Demo;

/// <summary>
/// A pass-through link endpoint on the demo's client host (unprivileged mode) that sees ICMP and ICMPv6 echo
/// replies on their way in, so its own ping probe can time them (the stack has no ICMP socket; the replies
/// still go on to the stack, which counts them). Raw-IP links only, as the demo's socketpair is.
/// </summary>
internal sealed class EchoReplyTap(ILinkEndpoint inner) : ILinkEndpoint, INetworkDispatcher
{
    private const int Peek = 60 + 8;

    private volatile INetworkDispatcher? _dispatcher;

    /// <summary>Raised on the reader thread for each echo reply: (IPv6?, identifier, sequence).</summary>
    public event Action<bool, ushort, ushort>? Reply;

    public int Mtu => inner.Mtu;

    public int MaxHeaderLength => inner.MaxHeaderLength;

    public LinkAddress LinkAddress => inner.LinkAddress;

    public LinkCapabilities Capabilities => inner.Capabilities;

    public ArpHardwareType ArpHardwareType => inner.ArpHardwareType;

    public int GsoMaxSize => inner.GsoMaxSize;

    public bool IsAttached => _dispatcher is not null;

    public void Attach(INetworkDispatcher? dispatcher)
    {
        _dispatcher = dispatcher;
        inner.Attach(dispatcher is null ? null : this);
    }

    public void Wait() => inner.Wait();

    public void AddHeader(PacketBuffer packet) => inner.AddHeader(packet);

    public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets) => inner.WritePackets(packets);

    public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet)
    {
        Span<byte> head = stackalloc byte[Peek];
        int n = packet.CopyDataTo(0, head);
        var bytes = head[..n];
        if (protocol == NetworkProtocolNumber.IPv4 && n >= 28 && bytes[9] == 1)
        {
            int ihl = (bytes[0] & 0xF) * 4;
            if (n >= ihl + 8 && bytes[ihl] == Icmpv4Type.EchoReply)
            {
                Reply?.Invoke(false, BinaryPrimitives.ReadUInt16BigEndian(bytes[(ihl + 4)..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[(ihl + 6)..]));
            }
        }
        else if (protocol == NetworkProtocolNumber.IPv6 && n >= 48 && bytes[6] == 58 && bytes[40] == Icmpv6Type.EchoReply)
        {
            Reply?.Invoke(true, BinaryPrimitives.ReadUInt16BigEndian(bytes[44..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[46..]));
        }
        _dispatcher?.DeliverNetworkPacket(protocol, packet);
    }

    /// <summary>Stops passing packets on; the inner endpoint stays its owner's to dispose.</summary>
    public void Dispose() => _dispatcher = null;
}
