namespace Netstack.Headers;

/// <summary>IPv4 option types (RFC 791 section 3.1, IANA "IP Option Numbers"); the copied flag is part of the value.</summary>
public static class Ipv4OptionType
{
    /// <summary>End of option list (one byte).</summary>
    public const byte EndOfList = 0;
    /// <summary>No operation, used as padding (one byte).</summary>
    public const byte NoOperation = 1;
    /// <summary>Record route.</summary>
    public const byte RecordRoute = 7;
    /// <summary>Internet timestamp.</summary>
    public const byte Timestamp = 68;
    /// <summary>Basic security (RFC 1108).</summary>
    public const byte Security = 130;
    /// <summary>Loose source and record route.</summary>
    public const byte LooseSourceRoute = 131;
    /// <summary>Strict source and record route.</summary>
    public const byte StrictSourceRoute = 137;
    /// <summary>Router alert (RFC 2113).</summary>
    public const byte RouterAlert = 148;
}
