namespace Netstack.Cli.Services;

/// <summary>The services <c>netstack up --serve</c> runs (the classic small servers of RFC 862, 863, 864).</summary>
[Flags]
internal enum ServiceKind
{
    /// <summary>No service.</summary>
    None = 0,
    /// <summary>TCP echo on port 7 (RFC 862).</summary>
    Echo = 1,
    /// <summary>TCP discard on port 9 (RFC 863): read and drop, close on end of stream.</summary>
    Discard = 2,
    /// <summary>TCP character generator on port 19 (RFC 864): send as fast as the window allows.</summary>
    Chargen = 4,
    /// <summary>UDP echo on port 7 (RFC 862).</summary>
    UdpEcho = 8,
}
