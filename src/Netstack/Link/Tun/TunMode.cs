namespace Netstack.Link.Tun;

/// <summary>The kind of tun device.</summary>
public enum TunMode
{
    /// <summary>TUN: raw IP packets, no link header.</summary>
    Tun,
    /// <summary>TAP: Ethernet frames.</summary>
    Tap,
}
