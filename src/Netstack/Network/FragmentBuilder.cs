using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;

namespace Netstack.Network;

/// <summary>
/// The part of sending fragments that IPv4 (RFC 791 section 3.2) and IPv6 (RFC 8200 section 4.5) share: each
/// fragment is a new packet whose data are views of the original's bytes (no copy), and a transport checksum
/// left for the link to finish is finished first. Each protocol adds its own headers.
/// </summary>
internal static class FragmentBuilder
{
    /// <summary>
    /// A new packet with <paramref name="headroom"/> free in front, <paramref name="packet"/>'s metadata (without
    /// GSO) and, as its data, views of <paramref name="packet"/>'s bytes [<paramref name="offset"/>,
    /// <paramref name="offset"/> + <paramref name="length"/>) from its first header on.
    /// </summary>
    public static PacketBuffer Rent(PacketBuffer packet, int offset, int length, int headroom)
    {
        var fragment = PacketBuffer.Rent(headroom);
        fragment.CopyMetadataFrom(packet);
        fragment.Gso = default;
        int position = 0;
        int end = offset + length;
        foreach (var view in packet.Views)
        {
            int viewEnd = position + view.Length;
            int from = Math.Max(offset, position);
            int to = Math.Min(end, viewEnd);
            if (from < to)
            {
                fragment.AppendView(view.Slice(from - position, to - from));
            }
            if (viewEnd >= end)
            {
                break;
            }
            position = viewEnd;
        }
        return fragment;
    }

    /// <summary>
    /// Finishes a partial transport checksum (<see cref="GsoOptions.NeedsChecksum"/>, TX checksum offload): a
    /// link would sum only the first fragment. The field holds the pseudo-header sum, as Linux's
    /// CHECKSUM_PARTIAL; a zero result is sent as 0xFFFF, as <c>skb_checksum_help</c> does.
    /// </summary>
    public static void FinishChecksum(PacketBuffer packet)
    {
        if (!packet.Gso.NeedsChecksum)
        {
            return;
        }
        var transport = packet.TransportHeader;
        int at = packet.Gso.ChecksumOffset;
        if (transport.Length >= at + 2)
        {
            var sum = new ChecksumAccumulator(0);
            foreach (var v in packet.Views)
            {
                sum.Add(v.Span);
            }
            ushort value = Checksum.Finish(sum.Sum);
            BinaryPrimitives.WriteUInt16BigEndian(transport[at..], value == 0 ? (ushort)0xFFFF : value);
        }
        packet.Gso = packet.Gso with { NeedsChecksum = false };
    }
}
