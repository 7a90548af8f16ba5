using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Netstack.Headers;

/// <summary>
/// The options of one TCP segment, parsed from the option bytes of a <see cref="TcpHeader"/>. Parsing is
/// liberal (RFC 9293 section 3.1): an option with an impossible length ends parsing and what came
/// before it stands; an option with the wrong length for its kind is ignored.
/// </summary>
public struct TcpOptions
{
    /// <summary>Most SACK blocks a segment can carry (4 without timestamps).</summary>
    public const int MaxSackBlocks = 4;

    private SackBlockArray _sackBlocks;

    /// <summary>An MSS option was present.</summary>
    public bool HasMss;

    /// <summary>The peer's maximum segment size.</summary>
    public ushort Mss;

    /// <summary>A window scale option was present.</summary>
    public bool HasWindowScale;

    /// <summary>The peer's window shift (the raw value; RFC 7323 caps it at 14 when used).</summary>
    public byte WindowScale;

    /// <summary>SACK-permitted was present.</summary>
    public bool SackPermitted;

    /// <summary>A timestamps option was present.</summary>
    public bool HasTimestamps;

    /// <summary>TSval: the sender's timestamp clock.</summary>
    public uint TimestampValue;

    /// <summary>TSecr: the timestamp echoed back.</summary>
    public uint TimestampEcho;

    /// <summary>Number of SACK blocks in <see cref="SackBlocks"/>.</summary>
    public int SackBlockCount;

    /// <summary>The SACK blocks, in the order the peer sent them.</summary>
    [UnscopedRef]
    public ReadOnlySpan<TcpSackBlock> SackBlocks => ((ReadOnlySpan<TcpSackBlock>)_sackBlocks)[..SackBlockCount];

    /// <summary>Parses <paramref name="options"/> (the bytes after the fixed header).</summary>
    public static TcpOptions Parse(ReadOnlySpan<byte> options)
    {
        var result = default(TcpOptions);
        int i = 0;
        while (i < options.Length)
        {
            var kind = (TcpOptionKind)options[i];
            if (kind == TcpOptionKind.EndOfList)
            {
                break;
            }
            if (kind == TcpOptionKind.NoOperation)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length)
            {
                break;
            }
            int length = options[i + 1];
            if (length < 2 || i + length > options.Length)
            {
                break;
            }
            var body = options.Slice(i + 2, length - 2);
            switch (kind)
            {
                case TcpOptionKind.MaximumSegmentSize when length == 4:
                    result.HasMss = true;
                    result.Mss = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case TcpOptionKind.WindowScale when length == 3:
                    result.HasWindowScale = true;
                    result.WindowScale = body[0];
                    break;
                case TcpOptionKind.SackPermitted when length == 2:
                    result.SackPermitted = true;
                    break;
                case TcpOptionKind.Timestamps when length == 10:
                    result.HasTimestamps = true;
                    result.TimestampValue = BinaryPrimitives.ReadUInt32BigEndian(body);
                    result.TimestampEcho = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                    break;
                case TcpOptionKind.Sack when (length - 2) % 8 == 0:
                    int count = Math.Min((length - 2) / 8, MaxSackBlocks);
                    for (int b = 0; b < count; b++)
                    {
                        result._sackBlocks[b] = new TcpSackBlock(
                            BinaryPrimitives.ReadUInt32BigEndian(body[(b * 8)..]),
                            BinaryPrimitives.ReadUInt32BigEndian(body[(b * 8 + 4)..]));
                    }
                    result.SackBlockCount = count;
                    break;
            }
            i += length;
        }
        return result;
    }

    [InlineArray(MaxSackBlocks)]
    private struct SackBlockArray
    {
        private TcpSackBlock _element;
    }
}
