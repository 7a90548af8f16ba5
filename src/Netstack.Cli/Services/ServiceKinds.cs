namespace Netstack.Cli.Services;

/// <summary>Parsing and naming of <see cref="ServiceKind"/> values.</summary>
internal static class ServiceKinds
{
    /// <summary>The names accepted by <c>--serve</c>, in the order they are listed.</summary>
    public static readonly IReadOnlyList<(string Name, ServiceKind Kind, string Port)> All =
    [
        ("echo", ServiceKind.Echo, "tcp/7"),
        ("discard", ServiceKind.Discard, "tcp/9"),
        ("chargen", ServiceKind.Chargen, "tcp/19"),
        ("udp-echo", ServiceKind.UdpEcho, "udp/7"),
    ];

    /// <summary>Every service.</summary>
    public const ServiceKind Every = ServiceKind.Echo | ServiceKind.Discard | ServiceKind.Chargen | ServiceKind.UdpEcho;

    /// <summary>The allowed values as the error messages list them.</summary>
    public static string Allowed => string.Join(", ", All.Select(s => s.Name)) + ", all, none";

    /// <summary>Parses comma-separated names (several <c>--serve</c> options add up).</summary>
    public static bool TryParse(IEnumerable<string> lists, out ServiceKind services, out string? error)
    {
        services = ServiceKind.None;
        error = null;
        foreach (var list in lists)
        {
            foreach (var item in list.Split(',', StringSplitOptions.TrimEntries))
            {
                string name = item.ToLowerInvariant();
                if (name == "all")
                {
                    services |= Every;
                    continue;
                }
                if (name == "none")
                {
                    continue;
                }
                int index = -1;
                for (int i = 0; i < All.Count; i++)
                {
                    if (All[i].Name == name)
                    {
                        index = i;
                    }
                }
                if (index < 0)
                {
                    error = $"--serve: unknown service '{item}'; allowed: {Allowed}.";
                    return false;
                }
                services |= All[index].Kind;
            }
        }
        return true;
    }

    /// <summary>"echo (tcp/7), udp-echo (udp/7)" or "none".</summary>
    public static string Describe(ServiceKind services)
    {
        var names = All.Where(s => services.HasFlag(s.Kind)).Select(s => $"{s.Name} ({s.Port})").ToArray();
        return names.Length == 0 ? "none" : string.Join(", ", names);
    }
}
