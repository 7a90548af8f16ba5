namespace Netstack.Network.IPv4;

/// <summary>
/// IPv4 Identification values (RFC 6864): unique per (source, destination, protocol) for as long as a
/// datagram may live. A bank of counters, one picked by a keyed hash of the triple (as gVisor and Linux do),
/// so flows do not share a sequence an observer could use to count another flow's packets.
/// </summary>
internal sealed class PacketIdGenerator
{
    private const int Buckets = 256;
    private readonly uint[] _counters = new uint[Buckets];
    private readonly uint _key;

    public PacketIdGenerator()
    {
        _key = (uint)Random.Shared.Next();
        for (int i = 0; i < Buckets; i++)
        {
            _counters[i] = (uint)Random.Shared.Next();
        }
    }

    /// <summary>The next Identification for a datagram from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public ushort Next(Address source, Address destination, byte protocol)
    {
        uint h = (source.V4Value ^ _key) * 0x9E3779B1u;
        h = (h ^ destination.V4Value) * 0x85EBCA77u;
        h = (h ^ protocol) * 0xC2B2AE3Du;
        h ^= h >> 16;
        return (ushort)Interlocked.Increment(ref _counters[h & (Buckets - 1)]);
    }
}
