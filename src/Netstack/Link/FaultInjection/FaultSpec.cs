using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Netstack.Link.FaultInjection;

/// <summary>Reads and writes the fault spec strings documented on <see cref="FaultOptions.Parse"/>.</summary>
internal static class FaultSpec
{
    private const string ProbabilityRange = "0%..100%";
    private const string DelayRange = "0..60s";
    private const string HoldRange = "1ms..60s";
    private const string RateRange = "0 (unlimited) or 1kbit..1tbit, units bit, kbit, mbit, gbit, tbit";
    private const string BurstRange = "0..64mb bytes, units k or kb (1024), m or mb (1048576)";
    private const string LimitRange = "1..1000000 packets";
    private const string SizeRange = "0 (no limit) or 1..65535 bytes";
    private const string SeedRange = "0..18446744073709551615 or 0x hex";

    private enum Key
    {
        Drop,
        Duplicate,
        Reorder,
        ReorderHold,
        Corrupt,
        Delay,
        Jitter,
        Rate,
        Burst,
        Limit,
        DelayLimit,
        MaxSize,
    }

    private static readonly (string Name, Key Key)[] Keys =
    [
        ("drop", Key.Drop),
        ("dup", Key.Duplicate),
        ("duplicate", Key.Duplicate),
        ("reorder", Key.Reorder),
        ("reorder-hold", Key.ReorderHold),
        ("corrupt", Key.Corrupt),
        ("delay", Key.Delay),
        ("jitter", Key.Jitter),
        ("rate", Key.Rate),
        ("burst", Key.Burst),
        ("limit", Key.Limit),
        ("delay-limit", Key.DelayLimit),
        ("max-size", Key.MaxSize),
    ];

    private const string KnownKeys =
        "drop, dup, reorder, reorder-hold, corrupt, delay, jitter, rate, burst, limit, delay-limit, max-size " +
        "(each may take an in. or out. prefix), seed";

    public static bool TryParse(string spec, [NotNullWhen(true)] out FaultOptions? options, [NotNullWhen(false)] out string? error)
    {
        options = null;
        // Scope 0: both directions; 1: in.; 2: out. Each entry keeps the item's text for error messages.
        var scopes = new[] { new Dictionary<Key, Setting>(), new Dictionary<Key, Setting>(), new Dictionary<Key, Setting>() };
        ulong? seed = null;
        foreach (var raw in spec.Split(','))
        {
            string item = raw.Trim();
            if (item.Length == 0)
            {
                continue;
            }
            int eq = item.IndexOf('=');
            if (eq <= 0)
            {
                error = $"{item}: expected key=value; known keys: {KnownKeys}.";
                return false;
            }
            string name = item[..eq].Trim();
            string value = item[(eq + 1)..].Trim();
            item = $"{name}={value}";
            if (name.Equals("seed", StringComparison.OrdinalIgnoreCase))
            {
                if (seed is not null)
                {
                    error = $"{item}: seed given twice.";
                    return false;
                }
                if (!TryParseSeed(value, out ulong s))
                {
                    error = $"{item}: not a seed; allowed {SeedRange}.";
                    return false;
                }
                seed = s;
                continue;
            }
            int scope = 0;
            string bare = name;
            if (name.StartsWith("in.", StringComparison.OrdinalIgnoreCase))
            {
                scope = 1;
                bare = name[3..];
            }
            else if (name.StartsWith("out.", StringComparison.OrdinalIgnoreCase))
            {
                scope = 2;
                bare = name[4..];
            }
            if (scope != 0 && bare.Equals("seed", StringComparison.OrdinalIgnoreCase))
            {
                error = $"{item}: one seed drives both directions; write seed={value}.";
                return false;
            }
            if (!TryFindKey(bare, out var key))
            {
                error = $"{item}: unknown key '{name}'; known keys: {KnownKeys}.";
                return false;
            }
            var settings = scopes[scope];
            if (!TryParseValue(key, item, value, settings, out error))
            {
                return false;
            }
        }
        if (!TryBuild(scopes[0], scopes[1], out var inbound, out error) || !TryBuild(scopes[0], scopes[2], out var outbound, out error))
        {
            return false;
        }
        options = new FaultOptions { Inbound = inbound, Outbound = outbound, Seed = seed };
        error = null;
        return true;
    }

    public static string Format(FaultOptions options)
    {
        var items = new List<string>();
        foreach (var key in Enum.GetValues<Key>())
        {
            if (key == Key.Jitter)
            {
                continue; // written with the delay, as delay=D±J
            }
            string name = NameOf(key);
            string def = Repr(DirectionFaults.None, key);
            string inbound = Repr(options.Inbound, key);
            string outbound = Repr(options.Outbound, key);
            if (inbound == outbound)
            {
                if (inbound != def)
                {
                    items.Add($"{name}={inbound}");
                }
                continue;
            }
            if (inbound != def)
            {
                items.Add($"in.{name}={inbound}");
            }
            if (outbound != def)
            {
                items.Add($"out.{name}={outbound}");
            }
        }
        if (options.Seed is ulong seed)
        {
            items.Add(string.Create(CultureInfo.InvariantCulture, $"seed={seed}"));
        }
        return string.Join(',', items);
    }

    private static bool TryFindKey(string name, out Key key)
    {
        foreach (var (n, k) in Keys)
        {
            if (n.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                key = k;
                return true;
            }
        }
        key = default;
        return false;
    }

    private static string NameOf(Key key)
    {
        foreach (var (n, k) in Keys)
        {
            if (k == key)
            {
                return n;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(key));
    }

    private static bool TryParseValue(Key key, string item, string value, Dictionary<Key, Setting> settings, [NotNullWhen(false)] out string? error)
    {
        error = null;
        switch (key)
        {
            case Key.Drop:
            case Key.Duplicate:
            case Key.Reorder:
            case Key.Corrupt:
                if (!TryParsePercent(value, out double p, out string? problem))
                {
                    error = $"{item}: {problem}; allowed {ProbabilityRange} (for example {NameOf(key)}=5%).";
                    return false;
                }
                return Set(settings, key, new Setting(item, p, 0), out error);
            case Key.ReorderHold:
                if (!TryParseDuration(value, out var hold, out problem) || hold < DirectionFaults.MinReorderHold || hold > DirectionFaults.MaxDelay)
                {
                    error = $"{item}: {problem ?? "out of range"}; allowed {HoldRange}.";
                    return false;
                }
                return Set(settings, key, new Setting(item, 0, hold.Ticks), out error);
            case Key.Delay:
            {
                string delayText = value;
                string? jitterText = null;
                foreach (string separator in (ReadOnlySpan<string>)["±", "+-", "~"])
                {
                    int at = value.IndexOf(separator, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        delayText = value[..at].Trim();
                        jitterText = value[(at + separator.Length)..].Trim();
                        break;
                    }
                }
                if (!TryParseDuration(delayText, out var delay, out problem) || delay > DirectionFaults.MaxDelay)
                {
                    error = $"{item}: {problem ?? "out of range"}; allowed {DelayRange}, optionally ±jitter (0..delay).";
                    return false;
                }
                if (!Set(settings, key, new Setting(item, 0, delay.Ticks), out error))
                {
                    return false;
                }
                if (jitterText is null)
                {
                    return true;
                }
                if (!TryParseDuration(jitterText, out var jitter, out problem))
                {
                    error = $"{item}: the jitter: {problem}; allowed 0..delay.";
                    return false;
                }
                return Set(settings, Key.Jitter, new Setting(item, 0, jitter.Ticks), out error);
            }
            case Key.Jitter:
                if (!TryParseDuration(value, out var j, out problem) || j > DirectionFaults.MaxDelay)
                {
                    error = $"{item}: {problem ?? "out of range"}; allowed 0..delay.";
                    return false;
                }
                return Set(settings, key, new Setting(item, 0, j.Ticks), out error);
            case Key.Rate:
                if (!TryParseRate(value, out long rate, out problem))
                {
                    error = $"{item}: {problem}; allowed {RateRange}.";
                    return false;
                }
                return Set(settings, key, new Setting(item, 0, rate), out error);
            case Key.Burst:
                if (!TryParseBytes(value, out long burst, out problem) || burst > DirectionFaults.MaxBurst)
                {
                    error = $"{item}: {problem ?? "out of range"}; allowed {BurstRange}.";
                    return false;
                }
                return Set(settings, key, new Setting(item, 0, burst), out error);
            case Key.Limit:
            case Key.DelayLimit:
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int limit) || limit < 1 || limit > DirectionFaults.MaxLimit)
                {
                    error = $"{item}: not a packet count in range; allowed {LimitRange}.";
                    return false;
                }
                return Set(settings, key, new Setting(item, 0, limit), out error);
            case Key.MaxSize:
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int size) || size > DirectionFaults.MaxPacketSizeLimit)
                {
                    error = $"{item}: not a size in range; allowed {SizeRange}.";
                    return false;
                }
                return Set(settings, key, new Setting(item, 0, size), out error);
            default:
                throw new ArgumentOutOfRangeException(nameof(key));
        }
    }

    private static bool Set(Dictionary<Key, Setting> settings, Key key, Setting setting, [NotNullWhen(false)] out string? error)
    {
        if (settings.TryGetValue(key, out var earlier))
        {
            error = earlier.Item == setting.Item
                ? $"{setting.Item}: {NameOf(key)} given twice."
                : $"{setting.Item}: {NameOf(key)} given twice (also by {earlier.Item}).";
            return false;
        }
        settings[key] = setting;
        error = null;
        return true;
    }

    // Defaults, then the settings for both directions, then the direction's own.
    private static bool TryBuild(
        Dictionary<Key, Setting> both, Dictionary<Key, Setting> own, [NotNullWhen(true)] out DirectionFaults? faults, [NotNullWhen(false)] out string? error)
    {
        Setting? Get(Key key) => own.TryGetValue(key, out var s) ? s : both.TryGetValue(key, out s) ? s : null;
        var d = DirectionFaults.None;
        if (Get(Key.Drop) is { } drop)
        {
            d = d with { DropProbability = drop.Number };
        }
        if (Get(Key.Duplicate) is { } dup)
        {
            d = d with { DuplicateProbability = dup.Number };
        }
        if (Get(Key.Reorder) is { } reorder)
        {
            d = d with { ReorderProbability = reorder.Number };
        }
        if (Get(Key.ReorderHold) is { } hold)
        {
            d = d with { ReorderHold = TimeSpan.FromTicks(hold.Integer) };
        }
        if (Get(Key.Corrupt) is { } corrupt)
        {
            d = d with { CorruptProbability = corrupt.Number };
        }
        if (Get(Key.Delay) is { } delay)
        {
            d = d with { Delay = TimeSpan.FromTicks(delay.Integer) };
        }
        var jitter = Get(Key.Jitter);
        if (jitter is { } j)
        {
            d = d with { Jitter = TimeSpan.FromTicks(j.Integer) };
        }
        if (Get(Key.Rate) is { } rate)
        {
            d = d with { RateBitsPerSecond = rate.Integer };
        }
        if (Get(Key.Burst) is { } burst)
        {
            d = d with { BurstBytes = (int)burst.Integer };
        }
        if (Get(Key.Limit) is { } limit)
        {
            d = d with { QueueLimit = (int)limit.Integer };
        }
        if (Get(Key.DelayLimit) is { } delayLimit)
        {
            d = d with { DelayLimit = (int)delayLimit.Integer };
        }
        if (Get(Key.MaxSize) is { } size)
        {
            d = d with { MaxPacketSize = (int)size.Integer };
        }
        if (jitter is { } jj && d.Jitter > d.Delay)
        {
            error = $"{jj.Item}: jitter {FormatDuration(d.Jitter)} is larger than the delay {FormatDuration(d.Delay)}; allowed jitter 0..delay.";
            faults = null;
            return false;
        }
        error = null;
        faults = d;
        return true;
    }

    private static bool TryParsePercent(string value, out double probability, [NotNullWhen(false)] out string? problem)
    {
        probability = 0;
        if (!value.EndsWith('%'))
        {
            problem = "not a percentage (the % is required)";
            return false;
        }
        if (!TryParseNumber(value[..^1].TrimEnd(), out double percent))
        {
            problem = "not a percentage";
            return false;
        }
        if (percent > 100)
        {
            problem = "out of range";
            return false;
        }
        probability = percent / 100;
        problem = null;
        return true;
    }

    private static bool TryParseDuration(string value, out TimeSpan duration, out string? problem)
    {
        duration = TimeSpan.Zero;
        var (number, unit) = SplitUnit(value);
        if (!TryParseNumber(number, out double n))
        {
            problem = "not a duration";
            return false;
        }
        double ticksPerUnit;
        switch (unit.ToLowerInvariant())
        {
            case "ns":
                ticksPerUnit = 0.01;
                break;
            case "us":
            case "µs":
                ticksPerUnit = TimeSpan.TicksPerMicrosecond;
                break;
            case "ms":
                ticksPerUnit = TimeSpan.TicksPerMillisecond;
                break;
            case "s":
                ticksPerUnit = TimeSpan.TicksPerSecond;
                break;
            case "" when n == 0:
                problem = null;
                return true;
            case "":
                problem = "a duration needs a unit (ns, us, ms or s)";
                return false;
            default:
                problem = $"unknown unit '{unit}' (ns, us, ms or s)";
                return false;
        }
        double ticks = Math.Round(n * ticksPerUnit);
        if (ticks > DirectionFaults.MaxDelay.Ticks)
        {
            problem = "out of range";
            return false;
        }
        duration = TimeSpan.FromTicks((long)ticks);
        problem = null;
        return true;
    }

    private static bool TryParseRate(string value, out long bitsPerSecond, [NotNullWhen(false)] out string? problem)
    {
        bitsPerSecond = 0;
        var (number, unit) = SplitUnit(value);
        if (!TryParseNumber(number, out double n))
        {
            problem = "not a rate";
            return false;
        }
        string u = unit.ToLowerInvariant();
        if (u.EndsWith("/s", StringComparison.Ordinal))
        {
            u = u[..^2];
        }
        double scale;
        switch (u)
        {
            case "bit":
                scale = 1;
                break;
            case "kbit":
                scale = 1e3;
                break;
            case "mbit":
                scale = 1e6;
                break;
            case "gbit":
                scale = 1e9;
                break;
            case "tbit":
                scale = 1e12;
                break;
            case "" when n == 0:
                problem = null;
                return true;
            case "":
                problem = "a rate needs a unit";
                return false;
            case "bps" or "kbps" or "mbps" or "gbps" or "tbps":
                problem = $"'{unit}' is ambiguous (tc reads it as bytes per second); write bits, for example {u[..^2]}it";
                return false;
            default:
                problem = $"unknown unit '{unit}'";
                return false;
        }
        double bits = Math.Round(n * scale);
        if (bits != 0 && (bits < DirectionFaults.MinRate || bits > DirectionFaults.MaxRate))
        {
            problem = "out of range";
            return false;
        }
        bitsPerSecond = (long)bits;
        problem = null;
        return true;
    }

    private static bool TryParseBytes(string value, out long bytes, out string? problem)
    {
        bytes = 0;
        var (number, unit) = SplitUnit(value);
        if (!TryParseNumber(number, out double n))
        {
            problem = "not a byte count";
            return false;
        }
        double scale;
        switch (unit.ToLowerInvariant())
        {
            case "" or "b":
                scale = 1;
                break;
            case "k" or "kb" or "kib":
                scale = 1024;
                break;
            case "m" or "mb" or "mib":
                scale = 1024 * 1024;
                break;
            default:
                problem = $"unknown unit '{unit}'";
                return false;
        }
        double b = Math.Round(n * scale);
        if (b > DirectionFaults.MaxBurst)
        {
            problem = "out of range";
            return false;
        }
        bytes = (long)b;
        problem = null;
        return true;
    }

    private static bool TryParseSeed(string value, out ulong seed)
    {
        if (value.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return ulong.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out seed);
        }
        return ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seed);
    }

    // Unsigned decimals only: no sign, exponent, thousands separator, NaN or infinity.
    private static bool TryParseNumber(string text, out double value)
    {
        value = 0;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c) && c != '.')
            {
                return false;
            }
        }
        return text.Length > 0 && double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }

    private static (string Number, string Unit) SplitUnit(string value)
    {
        int i = 0;
        while (i < value.Length && (char.IsAsciiDigit(value[i]) || value[i] == '.'))
        {
            i++;
        }
        return (value[..i], value[i..].Trim());
    }

    private static string Repr(DirectionFaults d, Key key) => key switch
    {
        Key.Drop => FormatPercent(d.DropProbability),
        Key.Duplicate => FormatPercent(d.DuplicateProbability),
        Key.Reorder => FormatPercent(d.ReorderProbability),
        Key.ReorderHold => FormatDuration(d.ReorderHold),
        Key.Corrupt => FormatPercent(d.CorruptProbability),
        Key.Delay => d.Jitter > TimeSpan.Zero ? $"{FormatDuration(d.Delay)}±{FormatDuration(d.Jitter)}" : FormatDuration(d.Delay),
        Key.Jitter => FormatDuration(d.Jitter),
        Key.Rate => FormatRate(d.RateBitsPerSecond),
        Key.Burst => FormatBytes(d.BurstBytes),
        Key.Limit => d.QueueLimit.ToString(CultureInfo.InvariantCulture),
        Key.DelayLimit => d.DelayLimit.ToString(CultureInfo.InvariantCulture),
        Key.MaxSize => d.MaxPacketSize.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };

    private static string FormatPercent(double probability) =>
        (probability * 100).ToString("0.##########", CultureInfo.InvariantCulture) + "%";

    internal static string FormatDuration(TimeSpan t)
    {
        long ticks = t.Ticks;
        if (ticks == 0)
        {
            return "0";
        }
        if (ticks % TimeSpan.TicksPerSecond == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerSecond}s");
        }
        if (ticks % TimeSpan.TicksPerMillisecond == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerMillisecond}ms");
        }
        return (ticks / (double)TimeSpan.TicksPerMicrosecond).ToString("0.#", CultureInfo.InvariantCulture) + "us";
    }

    private static string FormatRate(long bits)
    {
        if (bits == 0)
        {
            return "0";
        }
        foreach (var (scale, unit) in (ReadOnlySpan<(long, string)>)[(1_000_000_000_000, "tbit"), (1_000_000_000, "gbit"), (1_000_000, "mbit"), (1_000, "kbit")])
        {
            if (bits % scale == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{bits / scale}{unit}");
            }
        }
        return string.Create(CultureInfo.InvariantCulture, $"{bits}bit");
    }

    private static string FormatBytes(int bytes) =>
        bytes != 0 && bytes % (1024 * 1024) == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024 * 1024)}mb")
        : bytes != 0 && bytes % 1024 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024}kb")
        : bytes.ToString(CultureInfo.InvariantCulture);

    private readonly record struct Setting(string Item, double Number, long Integer);
}
