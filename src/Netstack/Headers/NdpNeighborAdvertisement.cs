namespace Netstack.Headers;

/// <summary>A Neighbor Advertisement message (RFC 4861 section 4.4), the whole ICMPv6 message, read and written in place.</summary>
public readonly ref struct NdpNeighborAdvertisement
{
    /// <summary>Length without options: ICMPv6 header with the flags, target address.</summary>
    public const int Size = 24;

    private const byte RouterFlag = 0x80;
    private const byte SolicitedFlag = 0x40;
    private const byte OverrideFlag = 0x20;

    private readonly Span<byte> _bytes;

    private NdpNeighborAdvertisement(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views <paramref name="message"/>; false when it is shorter than <see cref="Size"/>.</summary>
    public static bool TryParse(Span<byte> message, out NdpNeighborAdvertisement advertisement)
    {
        if (message.Length < Size)
        {
            advertisement = default;
            return false;
        }
        advertisement = new NdpNeighborAdvertisement(message);
        return true;
    }

    /// <summary>R: the sender is a router.</summary>
    public bool IsRouter => (_bytes[4] & RouterFlag) != 0;

    /// <summary>S: sent in response to a solicitation.</summary>
    public bool Solicited => (_bytes[4] & SolicitedFlag) != 0;

    /// <summary>O: the advertisement should override a cached link address.</summary>
    public bool Override => (_bytes[4] & OverrideFlag) != 0;

    /// <summary>The address whose link address is advertised.</summary>
    public Address Target => Address.ReadV6(_bytes[8..]);

    /// <summary>The options after the fixed part.</summary>
    public Span<byte> Options => _bytes[Size..];

    /// <summary>Writes the fixed part (checksum zero) into the first <see cref="Size"/> bytes.</summary>
    public static void Encode(Span<byte> destination, Address target, bool router, bool solicited, bool @override)
    {
        uint flags = (router ? (uint)RouterFlag : 0) | (solicited ? (uint)SolicitedFlag : 0) | (@override ? (uint)OverrideFlag : 0);
        Icmpv6Header.Encode(destination, Icmpv6Type.NeighborAdvertisement, 0, flags << 24);
        target.WriteTo(destination[8..]);
    }
}
