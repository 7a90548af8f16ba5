namespace Netstack.Tests.Infrastructure;

/// <summary>
/// A veth pair with both ends inside <paramref name="ns"/> (removed with the namespace), brought up, with
/// fixed MACs so tests can address frames: <see cref="A"/> (02:00:00:00:00:0a) and <see cref="B"/> (02:00:00:00:00:0b).
/// </summary>
public sealed class VethPair
{
    public VethPair(NetNamespace ns, int mtu = 1500)
    {
        Namespace = ns;
        ns.Check($"ip link add {A} address {MacA} mtu {mtu} type veth peer name {B} address {MacB} mtu {mtu}");
        ns.Check($"ip link set {A} up");
        ns.Check($"ip link set {B} up");
        // No IPv6 autoconfiguration chatter on the test wire.
        ns.Run($"sysctl -qw net.ipv6.conf.{A}.disable_ipv6=1 net.ipv6.conf.{B}.disable_ipv6=1");
    }

    public const string A = "va";
    public const string B = "vb";
    public static readonly LinkAddress MacA = LinkAddress.Parse("02:00:00:00:00:0a");
    public static readonly LinkAddress MacB = LinkAddress.Parse("02:00:00:00:00:0b");

    public NetNamespace Namespace { get; }
}
