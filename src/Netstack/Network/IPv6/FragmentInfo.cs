namespace Netstack.Network.IPv6;

/// <summary>What the receive path learned about one fragment, for <see cref="Ipv6Reassembler"/>.</summary>
/// <param name="Source">Source address (part of the key).</param>
/// <param name="Destination">Destination address (part of the key).</param>
/// <param name="Identification">The fragment header's identification (part of the key).</param>
/// <param name="Offset">Byte offset of this fragment's data in the fragmentable part.</param>
/// <param name="Length">Bytes of fragment data.</param>
/// <param name="MoreFragments">The M flag.</param>
/// <param name="NextHeader">The fragment header's Next Header: the first header of the fragmentable part.</param>
/// <param name="UnfragmentableLength">Bytes of the network header before the fragment header (IPv6 header and the extension headers before it).</param>
/// <param name="FragmentFieldOffset">Offset of the Next Header field that names the fragment header.</param>
internal readonly record struct FragmentInfo(
    Address Source,
    Address Destination,
    uint Identification,
    int Offset,
    int Length,
    bool MoreFragments,
    byte NextHeader,
    int UnfragmentableLength,
    int FragmentFieldOffset)
{
    public ReassemblyKey Key => new(Source, Destination, Identification);

    public int End => Offset + Length;
}

/// <summary>Fragments belong together when source, destination and identification match (RFC 8200 section 4.5).</summary>
internal readonly record struct ReassemblyKey(Address Source, Address Destination, uint Identification);
