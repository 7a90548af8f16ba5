namespace Netstack.Headers;

/// <summary>The fields <see cref="Ipv4Header.Encode"/> writes (gVisor's <c>header.IPv4Fields</c>).</summary>
public readonly struct Ipv4Fields
{
    /// <summary>Type of service (DSCP and ECN).</summary>
    public byte Tos { get; init; }

    /// <summary>Total length, header included.</summary>
    public ushort TotalLength { get; init; }

    /// <summary>Identification.</summary>
    public ushort Identification { get; init; }

    /// <summary>Flags (<see cref="Ipv4Header.DontFragmentFlag"/>, <see cref="Ipv4Header.MoreFragmentsFlag"/>) and offset in 8-byte units.</summary>
    public ushort FlagsAndOffset { get; init; }

    /// <summary>Time to live.</summary>
    public byte Ttl { get; init; }

    /// <summary>Transport protocol number.</summary>
    public byte Protocol { get; init; }

    /// <summary>Source address (IPv4).</summary>
    public Address Source { get; init; }

    /// <summary>Destination address (IPv4).</summary>
    public Address Destination { get; init; }
}
