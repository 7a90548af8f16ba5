using System.Globalization;

namespace Netstack.Tests.Infrastructure;

/// <summary>
/// Skips a test only when the capability it needs is truly absent (not root and no CAP_NET_ADMIN/CAP_NET_RAW,
/// or no iproute2): as root, integration tests run.
/// </summary>
public static class Privileges
{
    private const int CapNetAdmin = 12;
    private const int CapNetRaw = 13;
    private const int CapSysAdmin = 21;

    private static readonly Lazy<ulong> Effective = new(ReadEffectiveCapabilities);
    private static readonly Lazy<bool> HasIp = new(() => Shell.Which("ip"));

    /// <summary>True when the process may create namespaces, TUN/TAP, veth and AF_PACKET sockets.</summary>
    public static bool CanManageNetwork => Has(CapNetAdmin) && Has(CapNetRaw) && Has(CapSysAdmin) && HasIp.Value;

    /// <summary>Skips the calling test with the reason when <see cref="CanManageNetwork"/> is false.</summary>
    public static void RequireNetworkAdmin()
    {
        Skip.IfNot(HasIp.Value, "iproute2 ('ip') is not installed; scripts/test.sh installs it as root.");
        Skip.IfNot(Has(CapNetAdmin) && Has(CapNetRaw) && Has(CapSysAdmin),
            "needs CAP_NET_ADMIN, CAP_NET_RAW and CAP_SYS_ADMIN (run the tests as root) to create namespaces, TUN/TAP, veth and AF_PACKET sockets.");
    }

    /// <summary>Skips the calling test when <paramref name="tool"/> is not installed.</summary>
    public static void RequireTool(string tool) =>
        Skip.IfNot(Shell.Which(tool), $"'{tool}' is not installed; scripts/test.sh installs it as root.");

    private static bool Has(int capability) => (Effective.Value & (1UL << capability)) != 0;

    private static ulong ReadEffectiveCapabilities()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
            {
                return ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }
}
