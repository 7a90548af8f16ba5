namespace Netstack.Headers;

/// <summary>Why <see cref="Ipv4Header.Parse"/> refused a header (each is a drop reason of its own).</summary>
public enum Ipv4ParseStatus
{
    /// <summary>The header is well formed.</summary>
    Ok,
    /// <summary>Fewer bytes than a header needs.</summary>
    Truncated,
    /// <summary>The version field is not 4.</summary>
    BadVersion,
    /// <summary>IHL is below 5 or the header is longer than the total length.</summary>
    BadHeaderLength,
    /// <summary>The total length is larger than the packet received.</summary>
    BadTotalLength,
}
