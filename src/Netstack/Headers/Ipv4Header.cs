using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>
/// An IPv4 header (RFC 791 section 3.1) read and written in place. <see cref="Parse"/> checks version,
/// header length and total length once; every accessor then reads inside the checked bytes.
/// </summary>
public readonly ref struct Ipv4Header
{
    /// <summary>Length of a header without options.</summary>
    public const int MinimumSize = 20;

    /// <summary>Length of a header with the most options (IHL 15).</summary>
    public const int MaximumSize = 60;

    /// <summary>Largest datagram, header included (the Total Length field is 16 bits).</summary>
    public const int MaximumTotalLength = 65535;

    /// <summary>Smallest MTU every IPv4 link must carry (RFC 791: a 60-byte header and 8 bytes of data).</summary>
    public const int MinimumMtu = 68;

    /// <summary>Datagram size every host must accept, and the cap on an ICMP error (RFC 1122 3.3.2, RFC 1812 4.3.2.3).</summary>
    public const int MinimumReassemblySize = 576;

    /// <summary>The Don't Fragment flag in <see cref="FlagsAndOffset"/>.</summary>
    public const ushort DontFragmentFlag = 0x4000;

    /// <summary>The More Fragments flag in <see cref="FlagsAndOffset"/>.</summary>
    public const ushort MoreFragmentsFlag = 0x2000;

    /// <summary>The fragment offset bits (in 8-byte units) of <see cref="FlagsAndOffset"/>.</summary>
    public const ushort FragmentOffsetMask = 0x1FFF;

    private readonly Span<byte> _bytes;

    private Ipv4Header(Span<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Views the header at the front of <paramref name="bytes"/>, a contiguous prefix of a packet of
    /// <paramref name="packetLength"/> bytes that holds at least min(<paramref name="packetLength"/>, 60) bytes.
    /// Checks: at least 20 bytes, version 4, IHL at least 5 and within the total length, total length within
    /// the packet. The view covers exactly the header (options included).
    /// </summary>
    public static Ipv4ParseStatus Parse(Span<byte> bytes, int packetLength, out Ipv4Header header)
    {
        header = default;
        if (bytes.Length < MinimumSize || packetLength < MinimumSize)
        {
            return Ipv4ParseStatus.Truncated;
        }
        if (bytes[0] >> 4 != 4)
        {
            return Ipv4ParseStatus.BadVersion;
        }
        int headerLength = (bytes[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        if (headerLength < MinimumSize || headerLength > totalLength)
        {
            return Ipv4ParseStatus.BadHeaderLength;
        }
        if (totalLength > packetLength)
        {
            return Ipv4ParseStatus.BadTotalLength;
        }
        if (headerLength > bytes.Length)
        {
            return Ipv4ParseStatus.Truncated;
        }
        header = new Ipv4Header(bytes[..headerLength]);
        return Ipv4ParseStatus.Ok;
    }

    /// <summary>Views the header of a whole, contiguous packet; false unless <see cref="Parse"/> says <see cref="Ipv4ParseStatus.Ok"/>.</summary>
    public static bool TryParse(Span<byte> packet, out Ipv4Header header) =>
        Parse(packet, packet.Length, out header) == Ipv4ParseStatus.Ok;

    /// <summary>
    /// Views the header quoted inside an ICMP error (RFC 792): the datagram is truncated, so only the header
    /// itself must be complete; the total length is not compared with what follows.
    /// </summary>
    public static bool TryParseQuoted(Span<byte> bytes, out Ipv4Header header) =>
        Parse(bytes, MaximumTotalLength, out header) == Ipv4ParseStatus.Ok;

    /// <summary>The header bytes, options included.</summary>
    public Span<byte> Bytes => _bytes;

    /// <summary>The version field (4).</summary>
    public int Version => _bytes[0] >> 4;

    /// <summary>Header length in bytes (IHL times 4).</summary>
    public int HeaderLength => _bytes.Length;

    /// <summary>Type of service (DSCP and ECN).</summary>
    public byte Tos => _bytes[1];

    /// <summary>Total length of the datagram, header included.</summary>
    public ushort TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);

    /// <summary>The identification field, shared by the fragments of one datagram.</summary>
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_bytes[4..]);

    /// <summary>Flags (DF, MF) and fragment offset as one field.</summary>
    public ushort FlagsAndOffset => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);

    /// <summary>The Don't Fragment flag.</summary>
    public bool DontFragment => (FlagsAndOffset & DontFragmentFlag) != 0;

    /// <summary>The More Fragments flag.</summary>
    public bool MoreFragments => (FlagsAndOffset & MoreFragmentsFlag) != 0;

    /// <summary>Offset of this fragment's data in the datagram, in bytes.</summary>
    public int FragmentOffset => (FlagsAndOffset & FragmentOffsetMask) * 8;

    /// <summary>True for a fragment: MF set or a non-zero offset.</summary>
    public bool IsFragment => (FlagsAndOffset & (MoreFragmentsFlag | FragmentOffsetMask)) != 0;

    /// <summary>Time to live.</summary>
    public byte Ttl => _bytes[8];

    /// <summary>The transport protocol number.</summary>
    public byte Protocol => _bytes[9];

    /// <summary>The header checksum field.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[10..]);

    /// <summary>Source address.</summary>
    public Address Source => Address.ReadV4(_bytes[12..]);

    /// <summary>Destination address.</summary>
    public Address Destination => Address.ReadV4(_bytes[16..]);

    /// <summary>The options (empty without).</summary>
    public Span<byte> Options => _bytes[MinimumSize..];

    /// <summary>True when the header checksum verifies.</summary>
    public bool IsChecksumValid => Headers.Checksum.IsValid(_bytes);

    /// <summary>Sets the total length (call <see cref="UpdateChecksum"/> afterwards).</summary>
    public void SetTotalLength(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_bytes[2..], value);

    /// <summary>Sets flags and fragment offset (call <see cref="UpdateChecksum"/> afterwards).</summary>
    public void SetFlagsAndOffset(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_bytes[6..], value);

    /// <summary>Recomputes the header checksum.</summary>
    public void UpdateChecksum()
    {
        _bytes[10] = 0;
        _bytes[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(_bytes[10..], Headers.Checksum.Compute(_bytes));
    }

    /// <summary>
    /// Writes a 20-byte header (no options) with its checksum into the front of <paramref name="destination"/>.
    /// </summary>
    public static void Encode(Span<byte> destination, in Ipv4Fields fields)
    {
        var h = destination[..MinimumSize];
        h[0] = 0x45;
        h[1] = fields.Tos;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], fields.TotalLength);
        BinaryPrimitives.WriteUInt16BigEndian(h[4..], fields.Identification);
        BinaryPrimitives.WriteUInt16BigEndian(h[6..], fields.FlagsAndOffset);
        h[8] = fields.Ttl;
        h[9] = fields.Protocol;
        h[10] = 0;
        h[11] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(h[12..], fields.Source.V4Value);
        BinaryPrimitives.WriteUInt32BigEndian(h[16..], fields.Destination.V4Value);
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], Headers.Checksum.Compute(h));
    }
}
