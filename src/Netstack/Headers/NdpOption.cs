namespace Netstack.Headers;

/// <summary>NDP option types (RFC 4861 section 4.6, RFC 7527).</summary>
public static class NdpOptionType
{
    /// <summary>Source Link-Layer Address (1).</summary>
    public const byte SourceLinkLayerAddress = 1;

    /// <summary>Target Link-Layer Address (2).</summary>
    public const byte TargetLinkLayerAddress = 2;

    /// <summary>Prefix Information (3).</summary>
    public const byte PrefixInformation = 3;

    /// <summary>Redirected Header (4).</summary>
    public const byte RedirectedHeader = 4;

    /// <summary>MTU (5).</summary>
    public const byte Mtu = 5;

    /// <summary>Nonce (14), for enhanced duplicate address detection (RFC 7527).</summary>
    public const byte Nonce = 14;
}

/// <summary>One NDP option: its type and its bytes after the type and length octets.</summary>
public readonly ref struct NdpOption
{
    /// <summary>Length of a link-layer address option for a 6-byte MAC.</summary>
    public const int LinkLayerAddressSize = 8;

    /// <summary>Length of a nonce option with a 6-byte nonce.</summary>
    public const int NonceSize = 8;

    internal NdpOption(byte type, ReadOnlySpan<byte> body)
    {
        Type = type;
        Body = body;
    }

    /// <summary>The option type.</summary>
    public byte Type { get; }

    /// <summary>The bytes after type and length (length * 8 - 2 bytes).</summary>
    public ReadOnlySpan<byte> Body { get; }

    /// <summary>A link-layer address option's MAC; empty when the option is too short for one.</summary>
    public LinkAddress LinkAddress => Body.Length >= LinkAddress.Size ? LinkAddress.FromBytes(Body) : default;

    /// <summary>Writes a source or target link-layer address option (<see cref="LinkLayerAddressSize"/> bytes).</summary>
    public static void EncodeLinkLayerAddress(Span<byte> destination, byte type, LinkAddress address)
    {
        destination[0] = type;
        destination[1] = 1;
        address.WriteTo(destination[2..]);
    }

    /// <summary>Writes a nonce option carrying the low 48 bits of <paramref name="nonce"/> (<see cref="NonceSize"/> bytes).</summary>
    public static void EncodeNonce(Span<byte> destination, ulong nonce)
    {
        destination[0] = NdpOptionType.Nonce;
        destination[1] = 1;
        for (int i = 0; i < 6; i++)
        {
            destination[2 + i] = (byte)(nonce >> (40 - 8 * i));
        }
    }

    /// <summary>A nonce option's value (its six bytes as a number); 0 when the option is not six bytes long.</summary>
    public ulong Nonce
    {
        get
        {
            if (Body.Length != 6)
            {
                return 0;
            }
            ulong v = 0;
            foreach (byte b in Body)
            {
                v = v << 8 | b;
            }
            return v;
        }
    }
}

/// <summary>
/// Walks NDP options (RFC 4861 section 4.6) without allocating. An option with length 0, or one that
/// runs past the end, makes the whole message invalid (RFC 4861 section 7.1): <see cref="Malformed"/>.
/// </summary>
public ref struct NdpOptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _position;

    /// <summary>Reads the options in <paramref name="options"/>.</summary>
    public NdpOptionReader(ReadOnlySpan<byte> options)
    {
        _options = options;
        _position = 0;
        Malformed = false;
    }

    /// <summary>True when an option had length 0 or ran past the end.</summary>
    public bool Malformed { get; private set; }

    /// <summary>Reads the next option; false at the end or on a malformed option.</summary>
    public bool TryRead(out NdpOption option)
    {
        option = default;
        if (_position >= _options.Length || Malformed)
        {
            return false;
        }
        var rest = _options[_position..];
        if (rest.Length < 2 || rest[1] == 0 || rest[1] * 8 > rest.Length)
        {
            Malformed = true;
            return false;
        }
        int length = rest[1] * 8;
        option = new NdpOption(rest[0], rest[2..length]);
        _position += length;
        return true;
    }

    /// <summary>Checks every option of <paramref name="options"/>: true when none is malformed.</summary>
    public static bool Validate(ReadOnlySpan<byte> options)
    {
        var reader = new NdpOptionReader(options);
        while (reader.TryRead(out _))
        {
        }
        return !reader.Malformed;
    }
}
