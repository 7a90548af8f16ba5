namespace Netstack.Cli.Host;

/// <summary>The kind of device a userspace host runs on.</summary>
internal enum LinkKind
{
    /// <summary>A TUN device: raw IP packets (<c>--tun</c>).</summary>
    Tun,
    /// <summary>A TAP device: Ethernet frames (<c>--tap</c>).</summary>
    Tap,
    /// <summary>An AF_PACKET socket on an existing interface, such as one end of a veth pair (<c>--packet</c>).</summary>
    Packet,
}
