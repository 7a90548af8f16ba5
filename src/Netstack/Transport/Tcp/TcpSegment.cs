using Netstack.Buffers;
using Netstack.Headers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// A received segment after its header and checksum were checked: the header fields, the parsed options,
/// and where the payload is (the packet's data, after the consumed TCP header).
/// </summary>
internal struct TcpSegment
{
    public SeqNumber Seq;
    public SeqNumber Ack;
    public TcpFlags Flags;
    public ushort Window;
    public TcpOptions Options;
    public PacketBuffer Packet;
    public int DataLength;

    public readonly bool Has(TcpFlags flag) => (Flags & flag) != 0;

    /// <summary>Sequence space the segment occupies: data plus one for SYN and one for FIN.</summary>
    public readonly int SequenceLength => DataLength + (Has(TcpFlags.Syn) ? 1 : 0) + (Has(TcpFlags.Fin) ? 1 : 0);

    /// <summary>
    /// Reads the TCP header at the front of <paramref name="packet"/>'s data (or the one already consumed, when
    /// a segment is delivered a second time) and checks the checksum unless the link did.
    /// </summary>
    public static TcpParseResult TryParse(PacketBuffer packet, out TcpSegment segment)
    {
        segment = default;
        Span<byte> bytes = packet.TransportHeader;
        if (bytes.IsEmpty)
        {
            if (!packet.TryPeekData(TcpHeader.MinimumSize, out var fixedPart))
            {
                return TcpParseResult.Malformed;
            }
            int length = TcpHeader.LengthOf(fixedPart);
            if (length < TcpHeader.MinimumSize || !packet.TryConsumeHeader(HeaderKind.Transport, length, out bytes))
            {
                return TcpParseResult.Malformed;
            }
            if (!packet.RxChecksumValidated)
            {
                var sum = new ChecksumAccumulator(Checksum.PseudoHeaderSum(packet.SourceAddress, packet.DestinationAddress, 6, bytes.Length + packet.DataSize));
                sum.Add(bytes);
                foreach (var v in packet.Data)
                {
                    sum.Add(v.Span);
                }
                if (sum.Sum != 0xFFFF)
                {
                    return TcpParseResult.BadChecksum;
                }
                packet.RxChecksumValidated = true;
            }
        }
        // Port 0 is reserved (RFC 6335 section 6): no connection uses it, and answering it only serves scanners.
        if (!TcpHeader.TryParse(bytes, out var header) || header.SourcePort == 0 || header.DestinationPort == 0)
        {
            return TcpParseResult.Malformed;
        }
        segment.Seq = new SeqNumber(header.SequenceNumber);
        segment.Ack = new SeqNumber(header.AcknowledgmentNumber);
        segment.Flags = header.Flags;
        segment.Window = header.WindowSize;
        segment.Options = header.HeaderLength > TcpHeader.MinimumSize ? TcpOptions.Parse(header.Options) : default;
        segment.Packet = packet;
        segment.DataLength = packet.DataSize;
        return TcpParseResult.Ok;
    }
}

/// <summary>Outcome of <see cref="TcpSegment.TryParse"/>.</summary>
internal enum TcpParseResult
{
    Ok,
    Malformed,
    BadChecksum,
}
