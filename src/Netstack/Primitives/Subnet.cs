namespace Netstack;

/// <summary>A network prefix: the address with host bits cleared and the prefix length.</summary>
public readonly record struct Subnet
{
    /// <summary>Creates the subnet of <paramref name="address"/> with <paramref name="prefixLength"/> bits.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The prefix is longer than the address.</exception>
    public Subnet(Address address, int prefixLength)
    {
        if (prefixLength < 0 || prefixLength > address.Length * 8)
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength,
                $"The prefix length must be 0..{address.Length * 8} for {address}.");
        }
        Network = address.Mask(prefixLength);
        PrefixLength = prefixLength;
    }

    /// <summary>The network address (host bits zero).</summary>
    public Address Network { get; }

    /// <summary>Number of leading bits that name the network.</summary>
    public int PrefixLength { get; }

    /// <summary>The IPv4 directed broadcast address of this subnet.</summary>
    public Address BroadcastV4 => PrefixLength >= 32
        ? Network
        : Address.FromV4(Network.V4Value | (uint.MaxValue >> PrefixLength));

    /// <summary>True when <paramref name="address"/> is of the same family and inside this prefix.</summary>
    public bool Contains(Address address) =>
        address.Length == Network.Length && address.Mask(PrefixLength) == Network;

    /// <summary>Parses "network/prefix".</summary>
    public static Subnet Parse(string text) => AddressWithPrefix.Parse(text).Subnet;

    /// <inheritdoc/>
    public override string ToString() => $"{Network}/{PrefixLength}";
}
