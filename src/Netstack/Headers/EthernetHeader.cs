using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>An Ethernet II header (IEEE 802.3 with EtherType) read and written in place.</summary>
public readonly ref struct EthernetHeader
{
    /// <summary>Header length: destination, source, EtherType.</summary>
    public const int Size = 14;

    /// <summary>Smallest frame on the wire without FCS (shorter frames are runts).</summary>
    public const int MinimumFrameSize = 60;

    private readonly Span<byte> _bytes;

    private EthernetHeader(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views the first <see cref="Size"/> bytes; false when the frame is shorter.</summary>
    public static bool TryParse(Span<byte> frame, out EthernetHeader header)
    {
        if (frame.Length < Size)
        {
            header = default;
            return false;
        }
        header = new EthernetHeader(frame[..Size]);
        return true;
    }

    /// <summary>Destination MAC.</summary>
    public LinkAddress Destination => LinkAddress.FromBytes(_bytes);

    /// <summary>Source MAC.</summary>
    public LinkAddress Source => LinkAddress.FromBytes(_bytes[6..]);

    /// <summary>EtherType (network protocol number).</summary>
    public ushort EtherType => BinaryPrimitives.ReadUInt16BigEndian(_bytes[12..]);

    /// <summary>The I/G bit of the destination: multicast or broadcast.</summary>
    public bool IsDestinationGroup => (_bytes[0] & 1) != 0;

    /// <summary>Writes a header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public static void Encode(Span<byte> destination, LinkAddress dst, LinkAddress src, ushort etherType)
    {
        dst.WriteTo(destination);
        src.WriteTo(destination[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], etherType);
    }
}
