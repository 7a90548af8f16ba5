using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>The body of a Prefix Information option (RFC 4861 section 4.6.2), read in place.</summary>
public readonly ref struct NdpPrefixInformation
{
    /// <summary>Length of the option body (the option is 32 bytes with type and length).</summary>
    public const int BodySize = 30;

    /// <summary>A lifetime meaning "forever".</summary>
    public const uint Infinite = 0xFFFF_FFFF;

    private readonly ReadOnlySpan<byte> _body;

    private NdpPrefixInformation(ReadOnlySpan<byte> body) => _body = body;

    /// <summary>Views an option body; false when it is not at least <see cref="BodySize"/> bytes long.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out NdpPrefixInformation prefix)
    {
        if (body.Length < BodySize)
        {
            prefix = default;
            return false;
        }
        prefix = new NdpPrefixInformation(body);
        return true;
    }

    /// <summary>Number of leading bits of <see cref="Prefix"/> that are valid.</summary>
    public int PrefixLength => _body[0];

    /// <summary>L: the prefix is on-link.</summary>
    public bool OnLink => (_body[1] & 0x80) != 0;

    /// <summary>A: the prefix may be used for stateless address autoconfiguration.</summary>
    public bool Autonomous => (_body[1] & 0x40) != 0;

    /// <summary>Valid lifetime in seconds (<see cref="Infinite"/>: forever).</summary>
    public uint ValidLifetime => BinaryPrimitives.ReadUInt32BigEndian(_body[2..]);

    /// <summary>Preferred lifetime in seconds (<see cref="Infinite"/>: forever).</summary>
    public uint PreferredLifetime => BinaryPrimitives.ReadUInt32BigEndian(_body[6..]);

    /// <summary>The prefix (bits after <see cref="PrefixLength"/> are to be ignored).</summary>
    public Address Prefix => Address.ReadV6(_body[14..]);

    /// <summary>Writes a whole Prefix Information option (32 bytes, type and length included).</summary>
    public static void Encode(Span<byte> destination, Subnet prefix, bool onLink, bool autonomous, uint validLifetime, uint preferredLifetime)
    {
        destination[0] = NdpOptionType.PrefixInformation;
        destination[1] = 4;
        destination[2] = (byte)prefix.PrefixLength;
        destination[3] = (byte)((onLink ? 0x80 : 0) | (autonomous ? 0x40 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], validLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], preferredLifetime);
        destination[12..16].Clear();
        prefix.Network.WriteTo(destination[16..]);
    }
}
