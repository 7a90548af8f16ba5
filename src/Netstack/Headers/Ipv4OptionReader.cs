namespace Netstack.Headers;

/// <summary>
/// Walks the options of an IPv4 header (RFC 791 section 3.1) without trusting them: every length is
/// checked against what is left, so no option can read past the header, loop, or stall. An option whose
/// structure is wrong stops the walk with <see cref="Ipv4OptionStatus.Malformed"/> and
/// <see cref="ErrorOffset"/> pointing at the offending byte (for an ICMP parameter problem).
/// </summary>
public ref struct Ipv4OptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _offset;

    /// <summary>Reads <paramref name="options"/> (the bytes after the fixed 20-byte header).</summary>
    public Ipv4OptionReader(ReadOnlySpan<byte> options)
    {
        _options = options;
        _offset = 0;
        ErrorOffset = -1;
    }

    /// <summary>Offset in the options of the byte that made the walk fail, or -1.</summary>
    public int ErrorOffset { get; private set; }

    /// <summary>
    /// Moves to the next option (NOPs are skipped): its type and whole bytes (type and length included).
    /// Returns <see cref="Ipv4OptionStatus.End"/> at the end of the list or of the header.
    /// </summary>
    public Ipv4OptionStatus Next(out byte type, out ReadOnlySpan<byte> option)
    {
        option = default;
        type = 0;
        while (_offset < _options.Length)
        {
            type = _options[_offset];
            if (type == Ipv4OptionType.EndOfList)
            {
                _offset = _options.Length;
                return Ipv4OptionStatus.End;
            }
            if (type == Ipv4OptionType.NoOperation)
            {
                _offset++;
                continue;
            }
            int left = _options.Length - _offset;
            if (left < 2)
            {
                return Fail(_offset);
            }
            int length = _options[_offset + 1];
            if (length < 2 || length > left)
            {
                return Fail(_offset + 1);
            }
            option = _options.Slice(_offset, length);
            if (!PointerIsValid(type, option, out int bad))
            {
                return Fail(_offset + bad);
            }
            _offset += length;
            return Ipv4OptionStatus.Option;
        }
        return Ipv4OptionStatus.End;
    }

    // The route and timestamp options carry a pointer (third byte) that must not point into the option's
    // own first bytes (RFC 791; Linux ip_options_compile checks the same).
    private static bool PointerIsValid(byte type, ReadOnlySpan<byte> option, out int badOffset)
    {
        int minimumPointer;
        switch (type)
        {
            case Ipv4OptionType.RecordRoute:
            case Ipv4OptionType.LooseSourceRoute:
            case Ipv4OptionType.StrictSourceRoute:
                minimumPointer = 4;
                break;
            case Ipv4OptionType.Timestamp:
                minimumPointer = 5;
                break;
            case Ipv4OptionType.RouterAlert:
                badOffset = 1;
                return option.Length == 4;
            default:
                badOffset = 0;
                return true;
        }
        if (option.Length < minimumPointer - 1)
        {
            badOffset = 1;
            return false;
        }
        badOffset = 2;
        return option[2] >= minimumPointer;
    }

    private Ipv4OptionStatus Fail(int offset)
    {
        ErrorOffset = offset;
        _offset = _options.Length;
        return Ipv4OptionStatus.Malformed;
    }
}
