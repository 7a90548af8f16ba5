namespace Netstack.Headers;

/// <summary>TCP option kinds this stack reads or writes (IANA "TCP Option Kind Numbers").</summary>
public enum TcpOptionKind : byte
{
    /// <summary>End of option list (RFC 9293).</summary>
    EndOfList = 0,
    /// <summary>No-operation, used for alignment (RFC 9293).</summary>
    NoOperation = 1,
    /// <summary>Maximum segment size, SYN only (RFC 9293).</summary>
    MaximumSegmentSize = 2,
    /// <summary>Window scale, SYN only (RFC 7323).</summary>
    WindowScale = 3,
    /// <summary>SACK permitted, SYN only (RFC 2018).</summary>
    SackPermitted = 4,
    /// <summary>SACK blocks (RFC 2018).</summary>
    Sack = 5,
    /// <summary>Timestamps (RFC 7323).</summary>
    Timestamps = 8,
}
