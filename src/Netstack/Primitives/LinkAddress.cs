using System.Buffers.Binary;
using System.Globalization;

namespace Netstack;

/// <summary>A 48-bit IEEE 802 MAC address as a value (no allocation, cheap to compare).</summary>
public readonly struct LinkAddress : IEquatable<LinkAddress>
{
    private const ulong Mask48 = 0xFFFF_FFFF_FFFF;

    // The six octets in network order, in the low 48 bits; bit 48 marks a set address so that
    // 00:00:00:00:00:00 and "no address" are distinct.
    private readonly ulong _value;

    private LinkAddress(ulong value) => _value = value;

    /// <summary>Length of a MAC address in bytes.</summary>
    public const int Size = 6;

    /// <summary>No address (<see cref="IsEmpty"/>).</summary>
    public static LinkAddress Empty => default;

    /// <summary>ff:ff:ff:ff:ff:ff.</summary>
    public static LinkAddress Broadcast => FromUInt64(Mask48);

    /// <summary>True when no address is set.</summary>
    public bool IsEmpty => _value == 0;

    /// <summary>True for ff:ff:ff:ff:ff:ff.</summary>
    public bool IsBroadcast => (_value & Mask48) == Mask48 && !IsEmpty;

    /// <summary>True when the I/G (group) bit of the first octet is set: multicast or broadcast.</summary>
    public bool IsGroup => !IsEmpty && (_value & (1UL << 40)) != 0;

    /// <summary>The 48-bit value, first octet in bits 40..47.</summary>
    public ulong Value => _value & Mask48;

    /// <summary>Creates an address from a 48-bit value (first octet in bits 40..47).</summary>
    public static LinkAddress FromUInt64(ulong value) => new((value & Mask48) | (1UL << 48));

    /// <summary>Reads six network-order bytes.</summary>
    public static LinkAddress FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size)
        {
            throw new ArgumentException($"A MAC address is {Size} bytes long, not {bytes.Length}.", nameof(bytes));
        }
        ulong v = (ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32 | BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]);
        return FromUInt64(v);
    }

    /// <summary>Writes the six octets; an empty address writes zeros.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)Value);
    }

    /// <summary>The Ethernet multicast address for an IPv4 multicast group (RFC 1112 section 6.4).</summary>
    public static LinkAddress FromIPv4Multicast(Address group) =>
        FromUInt64(0x01005E000000UL | (group.V4Value & 0x7FFFFF));

    /// <summary>The Ethernet multicast address for an IPv6 multicast group (RFC 2464 section 7).</summary>
    public static LinkAddress FromIPv6Multicast(Address group) =>
        FromUInt64(0x333300000000UL | (group.Low & 0xFFFF_FFFF));

    /// <summary>Parses "aa:bb:cc:dd:ee:ff" (also with '-' separators).</summary>
    /// <exception cref="FormatException">The text is not a MAC address.</exception>
    public static LinkAddress Parse(string text) => TryParse(text, out var a)
        ? a
        : throw new FormatException($"'{text}' is not a MAC address (expected six hex octets, e.g. 02:00:00:00:00:01).");

    /// <summary>Parses "aa:bb:cc:dd:ee:ff" (also with '-' separators).</summary>
    public static bool TryParse(string? text, out LinkAddress address)
    {
        address = default;
        if (text is null || text.Length != 17)
        {
            return false;
        }
        ulong v = 0;
        for (int i = 0; i < 6; i++)
        {
            if (i > 0 && text[i * 3 - 1] is not (':' or '-'))
            {
                return false;
            }
            if (!byte.TryParse(text.AsSpan(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }
            v = v << 8 | b;
        }
        address = FromUInt64(v);
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(LinkAddress other) => _value == other._value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is LinkAddress a && Equals(a);

    /// <inheritdoc/>
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Equality.</summary>
    public static bool operator ==(LinkAddress left, LinkAddress right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(LinkAddress left, LinkAddress right) => !left.Equals(right);

    /// <summary>"aa:bb:cc:dd:ee:ff", or "(none)" when empty.</summary>
    public override string ToString()
    {
        if (IsEmpty)
        {
            return "(none)";
        }
        ulong v = Value;
        return string.Create(17, v, static (span, x) =>
        {
            for (int i = 0; i < 6; i++)
            {
                byte b = (byte)(x >> (40 - 8 * i));
                if (i > 0)
                {
                    span[i * 3 - 1] = ':';
                }
                b.TryFormat(span[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
            }
        });
    }
}
