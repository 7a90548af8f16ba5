using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Network.IPv6;

/// <summary>
/// IPv6 (RFC 8200) for a <see cref="NetworkStack"/>, with ICMPv6 (RFC 4443) and neighbour discovery
/// (RFC 4861, RFC 4862): receive validation and the extension header chain, fragment reassembly,
/// fragmentation on send, path MTU discovery (RFC 8201), source address selection (RFC 6724),
/// link-local addresses, duplicate address detection, router discovery and SLAAC. One instance per stack.
/// This host does not forward.
/// </summary>
public sealed partial class Ipv6Protocol : IIPProtocol
{
    private readonly Ipv6Reassembler _reassembler;
    private readonly PathMtuCache _pathMtu;
    private readonly Icmpv6Handler _icmp;
    private readonly NeighborDiscovery _ndp;

    /// <summary>Creates the protocol for <paramref name="stack"/>; register it through <see cref="StackOptions.NetworkProtocols"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public Ipv6Protocol(NetworkStack stack, Ipv6Options? options = null)
    {
        Stack = stack ?? throw new ArgumentNullException(nameof(stack));
        Options = options ?? new Ipv6Options();
        Options.Validate();
        _reassembler = new Ipv6Reassembler(Options, Stats, stack.Timers, OnReassemblyTimeout);
        _pathMtu = new PathMtuCache(stack.Timers, Ipv6Header.MinimumMtu, Options.PathMtuTimeout, Options.MaxPathMtuEntries);
        _icmp = new Icmpv6Handler(this);
        _ndp = new NeighborDiscovery(this);
    }

    /// <summary>A factory for <see cref="StackOptions.NetworkProtocols"/> that creates the protocol with <paramref name="options"/>.</summary>
    public static Func<NetworkStack, INetworkProtocol> Factory(Ipv6Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return stack => new Ipv6Protocol(stack, options);
    }

    /// <summary>The stack this protocol runs in.</summary>
    public NetworkStack Stack { get; }

    /// <summary>The options.</summary>
    public Ipv6Options Options { get; }

    /// <summary>IPv6 counters.</summary>
    public Ipv6Stats Stats { get; } = new();

    /// <summary>ICMPv6 and NDP counters.</summary>
    public Icmpv6Stats IcmpStats { get; } = new();

    /// <inheritdoc/>
    public ushort Number => NetworkProtocolNumber.IPv6;

    /// <inheritdoc/>
    public int AddressLength => 16;

    /// <inheritdoc/>
    /// <remarks>The fixed header; fragments are built in packets of their own, with their own headroom.</remarks>
    public int MaxHeaderLength => Ipv6Header.Size;

    /// <summary>Packets being reassembled right now.</summary>
    public int PendingReassemblies => _reassembler.Count;

    /// <summary>Memory pinned by fragments waiting for reassembly.</summary>
    public long ReassemblyBytes => _reassembler.Bytes;

    internal NeighborDiscovery Ndp => _ndp;

    internal Icmpv6Handler Icmp => _icmp;

    /// <inheritdoc/>
    public void OnNicCreated(Nic nic) => _ndp.OnNicCreated(nic);

    /// <inheritdoc/>
    public void OnNicEnabledChanged(Nic nic, bool enabled) => _ndp.OnNicEnabledChanged(nic, enabled);

    /// <inheritdoc/>
    public void OnNicRemoved(Nic nic)
    {
        _reassembler.RemoveNic(nic);
        _ndp.OnNicRemoved(nic);
    }

    /// <inheritdoc/>
    public void OnAddressAdding(Nic nic, NicAddress address) => _ndp.OnAddressAdding(nic, address);

    /// <inheritdoc/>
    public void OnAddressRemoved(Nic nic, NicAddress address) => _ndp.OnAddressRemoved(nic, address);

    /// <inheritdoc/>
    /// <remarks>The smallest of the link MTU, the MTU a router advertised and a path MTU learned from Packet Too Big.</remarks>
    public int PathMtu(Nic nic, Address destination) => _pathMtu.Get(destination, LinkPathMtu(nic));

    /// <inheritdoc/>
    public Address SelectSourceAddress(Nic nic, Address destination) => SourceAddressSelection.Select(nic, destination);

    /// <inheritdoc/>
    public void SendIcmpError(Nic nic, PacketBuffer offending, IcmpErrorKind kind)
    {
        if (kind == IcmpErrorKind.ProtocolUnreachable)
        {
            // RFC 4443 section 3.4: Parameter Problem code 1, pointing at the Next Header field naming the protocol.
            var end = Ipv6HeaderChain.WalkPacket(offending.NetworkHeader, Options.MaxExtensionHeaders);
            _icmp.SendError(nic, offending, Icmpv6Type.ParameterProblem, Icmpv6Type.CodeUnrecognizedNextHeader, (uint)end.NextFieldOffset);
            return;
        }
        var (type, code) = kind switch
        {
            IcmpErrorKind.PortUnreachable => (Icmpv6Type.DestinationUnreachable, Icmpv6Type.CodePortUnreachable),
            IcmpErrorKind.HostUnreachable => (Icmpv6Type.DestinationUnreachable, Icmpv6Type.CodeAddressUnreachable),
            IcmpErrorKind.NetworkUnreachable => (Icmpv6Type.DestinationUnreachable, Icmpv6Type.CodeNoRoute),
            IcmpErrorKind.ReassemblyTimeout => (Icmpv6Type.TimeExceeded, Icmpv6Type.CodeReassemblyTimeExceeded),
            IcmpErrorKind.TtlExceeded => (Icmpv6Type.TimeExceeded, Icmpv6Type.CodeHopLimitExceeded),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not an ICMPv6 error this stack sends."),
        };
        _icmp.SendError(nic, offending, type, code);
    }

    /// <summary>The default routers learned from router advertisements on <paramref name="nic"/>.</summary>
    public IReadOnlyList<Address> DefaultRouters(Nic nic)
    {
        ArgumentNullException.ThrowIfNull(nic);
        return _ndp.DefaultRouters(nic);
    }

    /// <summary>The path MTU learned from Packet Too Big for <paramref name="destination"/>, or 0 when none holds.</summary>
    public int LearnedPathMtu(Address destination) => _pathMtu.Learned(destination);

    /// <summary>Lowers the path MTU towards <paramref name="destination"/> (from Packet Too Big); returns the path MTU now in force.</summary>
    internal int UpdatePathMtu(Nic nic, Address destination, int reported)
    {
        _pathMtu.Lower(destination, reported, LinkPathMtu(nic), out int mtu);
        return mtu;
    }

    // The MTU before anything learned per destination: the link's, or less if a router advertised less.
    private int LinkPathMtu(Nic nic)
    {
        int mtu = nic.Mtu;
        int advertised = _ndp.AdvertisedMtu(nic);
        return advertised > 0 && advertised < mtu ? advertised : mtu;
    }

    // RFC 8200 section 4.5: Time Exceeded code 1 to the source, about the first fragment.
    private void OnReassemblyTimeout(Nic nic, PacketBuffer first) => SendIcmpError(nic, first, IcmpErrorKind.ReassemblyTimeout);
}
