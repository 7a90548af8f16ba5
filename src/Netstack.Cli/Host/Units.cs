using System.Globalization;

namespace Netstack.Cli.Host;

/// <summary>Human-readable sizes, rates and durations for the CLI's lines (invariant culture).</summary>
internal static class Units
{
    /// <summary>"812 B", "1.4 KB", "23.0 MB", "1.20 GB" (powers of 1000, as network tools count).</summary>
    public static string Bytes(double bytes) => bytes switch
    {
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B"),
        < 1e6 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:0.0} KB"),
        < 1e9 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.0} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.00} GB"),
    };

    /// <summary>A bit rate from bytes per second: "640 kbit/s", "12.3 Mbit/s", "2.41 Gbit/s".</summary>
    public static string BitRate(double bytesPerSecond)
    {
        double bits = bytesPerSecond * 8;
        return bits switch
        {
            < 1e6 => string.Create(CultureInfo.InvariantCulture, $"{bits / 1e3:0} kbit/s"),
            < 1e9 => string.Create(CultureInfo.InvariantCulture, $"{bits / 1e6:0.0} Mbit/s"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{bits / 1e9:0.00} Gbit/s"),
        };
    }

    /// <summary>A count per second, no decimals.</summary>
    public static string PerSecond(double perSecond) => string.Create(CultureInfo.InvariantCulture, $"{perSecond:0}/s");

    /// <summary>Milliseconds with three decimals, as ping prints them.</summary>
    public static string Milliseconds(double ms) => string.Create(CultureInfo.InvariantCulture, $"{ms:0.000}");

    /// <summary>Seconds with one decimal.</summary>
    public static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.0}s");
}
