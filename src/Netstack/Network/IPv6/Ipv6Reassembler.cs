using System.Diagnostics;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Stack.Timers;

namespace Netstack.Network.IPv6;

/// <summary>
/// IPv6's configuration of the shared <see cref="FragmentReassembler{TKey}"/> (RFC 8200 section 4.5): fragments
/// are keyed by (source, destination, identification); an exact duplicate (same range) is dropped alone, and a
/// datagram discarded for an overlap or an inconsistency stays known until its timeout so that its later
/// fragments are dropped too (RFC 5722). The checks that answer with Parameter Problem stay on the receive
/// path. The whole packet's header is the first fragment's unfragmentable part, patched.
/// </summary>
internal sealed class Ipv6Reassembler
{
    private readonly Ipv6Options _options;
    private readonly FragmentReassembler<Key> _reassembler;

    /// <param name="options">Limits and timeout.</param>
    /// <param name="stats">Where drops are counted.</param>
    /// <param name="wheel">Timer wheel for the timeouts.</param>
    /// <param name="onTimeout">Called with the NIC and the first fragment when a packet whose first fragment arrived times out.</param>
    public Ipv6Reassembler(Ipv6Options options, Ipv6Stats stats, TimerWheel wheel, Action<Nic, PacketBuffer> onTimeout)
    {
        _options = options;
        _reassembler = new FragmentReassembler<Key>(
            new ReassemblyOptions
            {
                Timeout = options.ReassemblyTimeout,
                HighWater = options.MaxReassemblyBytes,
                LowWater = options.MaxReassemblyBytes * 3 / 4,
                MaxFragments = options.MaxFragmentsPerPacket,
                MaxReassemblies = options.MaxReassemblies,
                DiscardUntilTimeout = true,
            },
            new ReassemblyCounters(stats.DroppedFragmentDuplicate, stats.DroppedFragmentOverlap, stats.DroppedFragmentInconsistentEnd,
                stats.DroppedTooManyFragments, stats.ReassembliesEvicted, stats.ReassemblyTimeouts, stats.PacketsReassembled,
                stats.DroppedFragmentOfDiscardedPacket),
            wheel, BuildHeader, onTimeout);
    }

    /// <summary>Packets being reassembled (discarded ones waiting out their timeout included).</summary>
    public int Count => _reassembler.Count;

    /// <summary>Memory pinned by held fragments.</summary>
    public long Bytes => _reassembler.Memory;

    /// <summary>
    /// Adds a fragment: its network header extends up to and including the fragment header, its data is the
    /// fragment data at <paramref name="offset"/>. Returns the reassembled packet, owned by the caller, when
    /// this fragment completed one; otherwise null. The caller keeps its own reference to <paramref name="fragment"/>.
    /// </summary>
    public PacketBuffer? Add(Nic nic, PacketBuffer fragment, uint identification, int offset, bool more) =>
        _reassembler.Add(nic, new Key(fragment.SourceAddress, fragment.DestinationAddress, identification), fragment, offset, more);

    /// <summary>Drops every packet being reassembled from <paramref name="nic"/>.</summary>
    public void RemoveNic(Nic nic) => _reassembler.RemoveNic(nic);

    // The unfragmentable part (the IPv6 header and the extension headers before the fragment header) of the
    // first fragment, with the Next Header field that named the fragment header now naming the fragmentable
    // part, and the payload length of the whole packet (RFC 8200 section 4.5).
    private PacketBuffer BuildHeader(PacketBuffer first, int dataLength)
    {
        var network = first.NetworkHeader;
        int unfragmentable = network.Length - Ipv6FragmentHeader.Size;
        // The receive path walked these headers already; the walk stops at the fragment header, which is cut off.
        var chain = Ipv6HeaderChain.WalkPacket(network[..unfragmentable], _options.MaxExtensionHeaders);
        Debug.Assert(chain.UpperLayer == Ipv6NextHeader.Fragment && chain.UpperOffset == unfragmentable);
        var whole = PacketBuffer.Rent(0, unfragmentable);
        whole.TryGetContiguousData(out var header);
        network[..unfragmentable].CopyTo(header);
        header[chain.NextFieldOffset] = network[unfragmentable];
        Ipv6Header.TryParse(header, out var ip);
        ip.PayloadLength = (ushort)(unfragmentable - Ipv6Header.Size + dataLength);
        return whole;
    }

    /// <summary>Fragments belong together when source, destination and identification match (RFC 8200 section 4.5).</summary>
    private readonly record struct Key(Address Source, Address Destination, uint Identification);
}
