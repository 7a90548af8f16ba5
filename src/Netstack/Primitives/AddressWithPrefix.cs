namespace Netstack;

/// <summary>An interface address with its prefix length, as written "10.0.0.2/24" or "fd00::2/64".</summary>
public readonly record struct AddressWithPrefix(Address Address, int PrefixLength)
{
    /// <summary>The subnet this address belongs to.</summary>
    public Subnet Subnet => new(Address, PrefixLength);

    /// <summary>Parses "address/prefix"; a missing prefix means a host address (/32 or /128).</summary>
    /// <exception cref="FormatException">The text is not an address, or the prefix is out of range.</exception>
    public static AddressWithPrefix Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int slash = text.IndexOf('/');
        var address = Address.Parse(slash < 0 ? text : text[..slash]);
        int max = address.Length * 8;
        int prefix = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), out prefix) || prefix < 0 || prefix > max))
        {
            throw new FormatException($"'{text}': the prefix length must be 0..{max}.");
        }
        return new(address, prefix);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Address}/{PrefixLength}";
}
