using System.Globalization;

namespace Netstack.Cli.Host;

/// <summary>The Linux capabilities this process holds (effective set), for messages that say what is missing.</summary>
internal static class ProcessCapabilities
{
    private const int CapNetAdmin = 12;
    private const int CapNetRaw = 13;
    private const int CapSysAdmin = 21;

    private static readonly Lazy<ulong> Effective = new(Read);

    /// <summary>CAP_NET_ADMIN: create TUN/TAP devices, configure interfaces.</summary>
    public static bool NetAdmin => Has(CapNetAdmin);

    /// <summary>CAP_NET_RAW: AF_PACKET and raw sockets.</summary>
    public static bool NetRaw => Has(CapNetRaw);

    /// <summary>CAP_SYS_ADMIN: create and enter network namespaces.</summary>
    public static bool SysAdmin => Has(CapSysAdmin);

    private static bool Has(int capability) => (Effective.Value & (1UL << capability)) != 0;

    private static ulong Read()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                {
                    return ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }
}
