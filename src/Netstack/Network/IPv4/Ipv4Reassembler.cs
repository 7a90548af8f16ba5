using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Stack.Timers;

namespace Netstack.Network.IPv4;

/// <summary>
/// IPv4's configuration of the shared <see cref="FragmentReassembler{TKey}"/> (RFC 791 section 3.2): fragments
/// are keyed by (source, destination, identification, protocol); the checks that need nothing but the fragment
/// itself come first; an exact duplicate must repeat the bytes to be dropped alone, and a discarded datagram is
/// forgotten at once. The whole datagram's header is the first fragment's, patched.
/// </summary>
internal sealed class Ipv4Reassembler
{
    private readonly Ipv4Protocol _ip;
    private readonly Ipv4Stats _stats;
    private readonly FragmentReassembler<Key> _reassembler;

    public Ipv4Reassembler(Ipv4Protocol ip, TimerWheel wheel)
    {
        _ip = ip;
        _stats = ip.Stats;
        var options = ip.Options;
        _reassembler = new FragmentReassembler<Key>(
            new ReassemblyOptions
            {
                Timeout = options.ReassemblyTimeout,
                HighWater = options.ReassemblyHighWater,
                LowWater = options.ReassemblyLowWater,
                MaxFragments = options.MaxFragmentsPerDatagram,
                MaxReassemblies = options.MaxReassemblies,
                DuplicatesMustMatchBytes = true,
            },
            new ReassemblyCounters(_stats.DroppedFragmentDuplicate, _stats.DroppedFragmentOverlap, _stats.DroppedFragmentInconsistent,
                _stats.DroppedTooManyFragments, _stats.ReassemblyEvicted, _stats.ReassemblyTimeouts, _stats.Reassembled),
            wheel, BuildHeader, OnTimeout);
    }

    /// <summary>Datagrams being reassembled.</summary>
    public int Count => _reassembler.Count;

    /// <summary>Bytes of pooled memory the held fragments pin.</summary>
    public long Memory => _reassembler.Memory;

    /// <summary>
    /// Adds a fragment (network header consumed, data = the fragment's payload, addresses and protocol set).
    /// Returns the whole datagram when this fragment completes it (network header consumed, the caller
    /// releases it), otherwise null. The fragment itself stays the caller's.
    /// </summary>
    public PacketBuffer? Add(Nic nic, PacketBuffer fragment, ushort identification, ushort flagsAndOffset)
    {
        _stats.FragmentsReceived.Increment();
        int start = (flagsAndOffset & Ipv4Header.FragmentOffsetMask) * 8;
        bool more = (flagsAndOffset & Ipv4Header.MoreFragmentsFlag) != 0;
        int length = fragment.DataSize;
        var key = new Key(fragment.SourceAddress, fragment.DestinationAddress, identification, fragment.TransportProtocol);
        if (length == 0)
        {
            _stats.DroppedFragmentZeroLength.Increment();
            return null;
        }
        if (more && (length & 7) != 0)
        {
            // RFC 791: every fragment but the last carries a multiple of 8 bytes.
            _stats.DroppedFragmentBadLength.Increment();
            return null;
        }
        if (start == 0 && more && length < MinimumFirstFragment(fragment.TransportProtocol))
        {
            // RFC 1858 section 3.1: a first fragment too short for the transport header.
            _stats.DroppedFragmentTiny.Increment();
            return null;
        }
        if (start + length > Ipv4Header.MaximumTotalLength - Ipv4Header.MinimumSize)
        {
            // Ping of death: the datagram could not fit 65,535 bytes; the datagram in progress goes too.
            _stats.DroppedFragmentTooBig.Increment();
            _reassembler.Discard(key);
            return null;
        }
        return _reassembler.Add(nic, key, fragment, start, more);
    }

    /// <summary>Drops every reassembly that started on <paramref name="nic"/>.</summary>
    public void RemoveNic(Nic nic) => _reassembler.RemoveNic(nic);

    // TCP needs its 20-byte header whole in the first fragment so its ports and flags cannot be split;
    // UDP, ICMP and the rest need 8 bytes, which any first fragment (a multiple of 8) has.
    private static int MinimumFirstFragment(byte protocol) => protocol == TransportProtocolNumber.Tcp ? 20 : 8;

    // A copy of the first fragment's header (options included) describing the whole datagram. Null when it
    // would exceed 65,535 bytes (options made the header longer).
    private PacketBuffer? BuildHeader(PacketBuffer first, int dataLength)
    {
        var header = first.NetworkHeader;
        int totalLength = header.Length + dataLength;
        if (totalLength > Ipv4Header.MaximumTotalLength)
        {
            _stats.DroppedFragmentTooBig.Increment();
            return null;
        }
        var whole = PacketBuffer.Rent(0, header.Length);
        whole.TryGetContiguousData(out var bytes);
        header.CopyTo(bytes);
        ushort flags = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(bytes[6..]) & Ipv4Header.DontFragmentFlag);
        Ipv4Header.TryParseQuoted(bytes, out var ip);
        ip.SetTotalLength((ushort)totalLength);
        ip.SetFlagsAndOffset(flags);
        ip.UpdateChecksum();
        return whole;
    }

    // RFC 792 / RFC 1122 3.3.2: time exceeded (code 1), sent only when fragment zero arrived.
    private void OnTimeout(Nic nic, PacketBuffer first) => _ip.SendIcmpError(nic, first, IcmpErrorKind.ReassemblyTimeout);

    private readonly record struct Key(Address Source, Address Destination, ushort Identification, byte Protocol);
}
