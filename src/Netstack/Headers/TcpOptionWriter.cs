using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>
/// Writes TCP options in the layouts Linux uses, so every option lands 4-byte aligned: on a SYN
/// <c>MSS, SACK-permitted + timestamps (or NOP NOP + timestamps), NOP + window scale</c>; on other segments
/// <c>NOP NOP timestamps</c> then <c>NOP NOP SACK</c>.
/// </summary>
public static class TcpOptionWriter
{
    /// <summary>Bytes of a timestamps option with its two NOPs (or SACK-permitted in front).</summary>
    public const int TimestampsLength = 12;

    /// <summary>Bytes of SYN options: MSS, and each of the others when enabled.</summary>
    public static int SynLength(bool windowScale, bool sackPermitted, bool timestamps) =>
        4 + (timestamps ? 12 : sackPermitted ? 4 : 0) + (windowScale ? 4 : 0);

    /// <summary>Bytes of the options on a non-SYN segment with <paramref name="sackBlocks"/> SACK blocks.</summary>
    public static int Length(bool timestamps, int sackBlocks) =>
        (timestamps ? TimestampsLength : 0) + (sackBlocks > 0 ? 4 + 8 * sackBlocks : 0);

    /// <summary>Writes SYN options; returns the byte count (a multiple of 4).</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="mss">Our maximum segment size.</param>
    /// <param name="windowScale">Our window shift, or -1 to leave window scaling out.</param>
    /// <param name="sackPermitted">Offer SACK.</param>
    /// <param name="timestamps">Offer timestamps with this TSval/TSecr.</param>
    /// <param name="tsValue">TSval.</param>
    /// <param name="tsEcho">TSecr.</param>
    public static int WriteSyn(Span<byte> destination, ushort mss, int windowScale, bool sackPermitted, bool timestamps, uint tsValue, uint tsEcho)
    {
        int i = 0;
        destination[i++] = (byte)TcpOptionKind.MaximumSegmentSize;
        destination[i++] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(destination[i..], mss);
        i += 2;
        if (timestamps)
        {
            if (sackPermitted)
            {
                destination[i++] = (byte)TcpOptionKind.SackPermitted;
                destination[i++] = 2;
            }
            else
            {
                destination[i++] = (byte)TcpOptionKind.NoOperation;
                destination[i++] = (byte)TcpOptionKind.NoOperation;
            }
            i += WriteTimestampBody(destination[i..], tsValue, tsEcho);
        }
        else if (sackPermitted)
        {
            destination[i++] = (byte)TcpOptionKind.NoOperation;
            destination[i++] = (byte)TcpOptionKind.NoOperation;
            destination[i++] = (byte)TcpOptionKind.SackPermitted;
            destination[i++] = 2;
        }
        if (windowScale >= 0)
        {
            destination[i++] = (byte)TcpOptionKind.NoOperation;
            destination[i++] = (byte)TcpOptionKind.WindowScale;
            destination[i++] = 3;
            destination[i++] = (byte)windowScale;
        }
        return i;
    }

    /// <summary>Writes <c>NOP NOP timestamps</c> (12 bytes).</summary>
    public static int WriteTimestamps(Span<byte> destination, uint tsValue, uint tsEcho)
    {
        destination[0] = (byte)TcpOptionKind.NoOperation;
        destination[1] = (byte)TcpOptionKind.NoOperation;
        return 2 + WriteTimestampBody(destination[2..], tsValue, tsEcho);
    }

    /// <summary>Writes <c>NOP NOP SACK</c> with <paramref name="blocks"/>; returns 4 + 8 per block (0 for none).</summary>
    public static int WriteSack(Span<byte> destination, ReadOnlySpan<TcpSackBlock> blocks)
    {
        if (blocks.IsEmpty)
        {
            return 0;
        }
        destination[0] = (byte)TcpOptionKind.NoOperation;
        destination[1] = (byte)TcpOptionKind.NoOperation;
        destination[2] = (byte)TcpOptionKind.Sack;
        destination[3] = (byte)(2 + 8 * blocks.Length);
        int i = 4;
        foreach (var b in blocks)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[i..], b.Start);
            BinaryPrimitives.WriteUInt32BigEndian(destination[(i + 4)..], b.End);
            i += 8;
        }
        return i;
    }

    private static int WriteTimestampBody(Span<byte> destination, uint tsValue, uint tsEcho)
    {
        destination[0] = (byte)TcpOptionKind.Timestamps;
        destination[1] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], tsValue);
        BinaryPrimitives.WriteUInt32BigEndian(destination[6..], tsEcho);
        return 10;
    }
}
