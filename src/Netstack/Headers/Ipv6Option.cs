namespace Netstack.Headers;

/// <summary>One TLV option of a hop-by-hop or destination options header (RFC 8200 section 4.2).</summary>
public readonly ref struct Ipv6Option
{
    /// <summary>Pad1: a single zero byte, no length or data.</summary>
    public const byte Pad1 = 0;

    /// <summary>PadN: a length and that many zero bytes.</summary>
    public const byte PadN = 1;

    /// <summary>Router Alert (RFC 2711), used by MLD.</summary>
    public const byte RouterAlert = 5;

    internal Ipv6Option(byte type, int offset, ReadOnlySpan<byte> data)
    {
        Type = type;
        Offset = offset;
        Data = data;
    }

    /// <summary>The option type.</summary>
    public byte Type { get; }

    /// <summary>Offset of the option's type byte from the start of the options area.</summary>
    public int Offset { get; }

    /// <summary>The option data (empty for Pad1).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>What a node that does not recognise the option must do: the two high bits of its type.</summary>
    public Ipv6UnknownOptionAction UnknownAction => (Ipv6UnknownOptionAction)(Type >> 6);
}

/// <summary>What to do with an unrecognised option (RFC 8200 section 4.2, the two high bits of the type).</summary>
public enum Ipv6UnknownOptionAction
{
    /// <summary>00: skip the option and keep processing.</summary>
    Skip = 0,
    /// <summary>01: discard the packet.</summary>
    Discard = 1,
    /// <summary>10: discard and send an ICMP Parameter Problem, code 2, even to a multicast destination.</summary>
    DiscardAndReport = 2,
    /// <summary>11: discard and send an ICMP Parameter Problem, code 2, unless the destination is multicast.</summary>
    DiscardAndReportUnicast = 3,
}

/// <summary>
/// Walks the options area of a hop-by-hop or destination options header without allocating. Stops with
/// <see cref="Malformed"/> set when an option runs past the end.
/// </summary>
public ref struct Ipv6OptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _position;

    /// <summary>Reads the options in <paramref name="options"/> (the header after its first two bytes).</summary>
    public Ipv6OptionReader(ReadOnlySpan<byte> options)
    {
        _options = options;
        _position = 0;
        Malformed = false;
    }

    /// <summary>True when an option ran past the end of the area (the walk stopped there).</summary>
    public bool Malformed { get; private set; }

    /// <summary>Reads the next option; false at the end or on a malformed option.</summary>
    public bool TryRead(out Ipv6Option option)
    {
        option = default;
        if (_position >= _options.Length || Malformed)
        {
            return false;
        }
        int start = _position;
        byte type = _options[start];
        if (type == Ipv6Option.Pad1)
        {
            _position++;
            option = new Ipv6Option(type, start, default);
            return true;
        }
        if (start + 2 > _options.Length || start + 2 + _options[start + 1] > _options.Length)
        {
            Malformed = true;
            return false;
        }
        int length = _options[start + 1];
        _position = start + 2 + length;
        option = new Ipv6Option(type, start, _options.Slice(start + 2, length));
        return true;
    }
}
