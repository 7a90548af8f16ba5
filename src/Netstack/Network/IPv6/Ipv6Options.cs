namespace Netstack.Network.IPv6;

/// <summary>
/// Settings of <see cref="Ipv6Protocol"/>: NDP and duplicate address detection, router discovery,
/// fragment reassembly limits, path MTU and ICMPv6 error rate limits. Defaults follow RFC 4861/4862
/// section 10 and Linux where the RFCs leave a choice.
/// </summary>
public sealed record Ipv6Options
{
    /// <summary>Hop limit of multicast packets a transport sends without choosing one (Linux's IPV6_MULTICAST_HOPS default).</summary>
    public byte MulticastHopLimit { get; init; } = 1;

    /// <summary>
    /// Neighbour solicitations sent for duplicate address detection (RFC 4862 DupAddrDetectTransmits);
    /// 0 turns DAD off. DAD runs only on links that need neighbour resolution.
    /// </summary>
    public int DupAddrDetectTransmits { get; init; } = 1;

    /// <summary>Time between DAD solicitations and the wait after the last one (RFC 4861 RetransTimer).</summary>
    public TimeSpan DadRetransmitTimer { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Create the fe80::/64 link-local address from the MAC (modified EUI-64) when a NIC with a link address is enabled.</summary>
    public bool GenerateLinkLocalAddress { get; init; } = true;

    /// <summary>Act on router advertisements: learn default routers, on-link prefixes and the link MTU.</summary>
    public bool HandleRouterAdvertisements { get; init; } = true;

    /// <summary>Configure addresses from advertised /64 prefixes with the A flag (SLAAC, RFC 4862 section 5.5).</summary>
    public bool AutoconfigureAddresses { get; init; } = true;

    /// <summary>Router solicitations sent after the link-local address becomes usable (RFC 4861 MAX_RTR_SOLICITATIONS); 0: none.</summary>
    public int MaxRouterSolicitations { get; init; } = 3;

    /// <summary>Time between router solicitations (RFC 4861 RTR_SOLICITATION_INTERVAL).</summary>
    public TimeSpan RouterSolicitationInterval { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>How long fragments of an incomplete packet are kept (RFC 8200 section 4.5: 60 s).</summary>
    public TimeSpan ReassemblyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Memory held by incomplete packets (counted as the buffers their fragments pin); above it the oldest
    /// reassemblies are dropped until three quarters of it is free again (Linux's ip6frag_high_thresh).
    /// </summary>
    public long MaxReassemblyBytes { get; init; } = 4L << 20;

    /// <summary>Most fragments one packet may arrive in; beyond it the packet is dropped.</summary>
    public int MaxFragmentsPerPacket { get; init; } = 64;

    /// <summary>Most packets being reassembled at once; a new one beyond it evicts the oldest.</summary>
    public int MaxReassemblies { get; init; } = 1024;

    /// <summary>Most extension headers processed in one packet before it is dropped (RFC 8504 section 5.3).</summary>
    public int MaxExtensionHeaders { get; init; } = 8;

    /// <summary>How long a path MTU learned from Packet Too Big holds before the link MTU is tried again (RFC 8201: at least 5 minutes, 10 recommended).</summary>
    public TimeSpan PathMtuTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Most destinations with a learned path MTU; beyond it the entry closest to expiry goes.</summary>
    public int MaxPathMtuEntries { get; init; } = 4096;

    /// <summary>ICMPv6 errors sent per second on average (token bucket refill, RFC 4443 section 2.4 (f)); 0: no limit.</summary>
    public int IcmpErrorsPerSecond { get; init; } = 1000;

    /// <summary>ICMPv6 errors that may be sent back to back (token bucket size).</summary>
    public int IcmpErrorBurst { get; init; } = 50;

    /// <summary>Throws when an option is out of range, naming it and the allowed values.</summary>
    public void Validate()
    {
        InRange(MulticastHopLimit, 1, 255, nameof(MulticastHopLimit));
        InRange(DupAddrDetectTransmits, 0, 255, nameof(DupAddrDetectTransmits));
        Positive(DadRetransmitTimer, nameof(DadRetransmitTimer));
        InRange(MaxRouterSolicitations, 0, 255, nameof(MaxRouterSolicitations));
        Positive(RouterSolicitationInterval, nameof(RouterSolicitationInterval));
        Positive(ReassemblyTimeout, nameof(ReassemblyTimeout));
        if (MaxReassemblyBytes < 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReassemblyBytes), MaxReassemblyBytes, $"{nameof(MaxReassemblyBytes)} must be at least 65536.");
        }
        InRange(MaxFragmentsPerPacket, 2, 8192, nameof(MaxFragmentsPerPacket));
        InRange(MaxReassemblies, 1, 1 << 20, nameof(MaxReassemblies));
        InRange(MaxExtensionHeaders, 1, 64, nameof(MaxExtensionHeaders));
        if (PathMtuTimeout < TimeSpan.FromMinutes(5))
        {
            throw new ArgumentOutOfRangeException(nameof(PathMtuTimeout), PathMtuTimeout, $"{nameof(PathMtuTimeout)} must be at least 5 minutes (RFC 8201 section 4).");
        }
        InRange(MaxPathMtuEntries, 1, 1 << 20, nameof(MaxPathMtuEntries));
        InRange(IcmpErrorsPerSecond, 0, 1_000_000, nameof(IcmpErrorsPerSecond));
        InRange(IcmpErrorBurst, 1, 1_000_000, nameof(IcmpErrorBurst));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be more than 0 and at most one day.");
        }
    }

    private static void InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {min}..{max}.");
        }
    }
}
