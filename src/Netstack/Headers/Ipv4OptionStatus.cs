namespace Netstack.Headers;

/// <summary>What <see cref="Ipv4OptionReader.Next"/> found.</summary>
public enum Ipv4OptionStatus
{
    /// <summary>An option; its type and bytes are returned.</summary>
    Option,
    /// <summary>No more options.</summary>
    End,
    /// <summary>The options are malformed; the walk stops.</summary>
    Malformed,
}
