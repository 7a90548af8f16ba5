using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Netstack;

/// <summary>
/// An IPv4 or IPv6 address as a value: 16 bytes of state, no allocation, cheap to hash and compare,
/// so it can key demultiplexing tables on the packet path. Convert to and from
/// <see cref="IPAddress"/> at the API edge.
/// </summary>
public readonly struct Address : IEquatable<Address>, IComparable<Address>, ISpanFormattable
{
    // Big-endian numeric value: an IPv4 address lives in the low 32 bits of _lo.
    private readonly ulong _hi;
    private readonly ulong _lo;
    private readonly byte _length;

    private Address(ulong hi, ulong lo, byte length)
    {
        _hi = hi;
        _lo = lo;
        _length = length;
    }

    /// <summary>The empty address (no family); <see cref="IsEmpty"/> is true.</summary>
    public static Address Empty => default;

    /// <summary>0.0.0.0.</summary>
    public static Address AnyV4 => new(0, 0, 4);

    /// <summary>::.</summary>
    public static Address AnyV6 => new(0, 0, 16);

    /// <summary>255.255.255.255, the limited broadcast address.</summary>
    public static Address BroadcastV4 => new(0, 0xFFFF_FFFF, 4);

    /// <summary>ff02::1, all nodes on the link.</summary>
    public static Address AllNodesV6 => new(0xFF02_0000_0000_0000, 1, 16);

    /// <summary>ff02::2, all routers on the link.</summary>
    public static Address AllRoutersV6 => new(0xFF02_0000_0000_0000, 2, 16);

    /// <summary>Length in bytes: 4, 16, or 0 for <see cref="Empty"/>.</summary>
    public int Length => _length;

    /// <summary>True for an IPv4 address.</summary>
    public bool IsV4 => _length == 4;

    /// <summary>True for an IPv6 address.</summary>
    public bool IsV6 => _length == 16;

    /// <summary>True for <see cref="Empty"/>.</summary>
    public bool IsEmpty => _length == 0;

    /// <summary>The high 64 bits of an IPv6 address in host order.</summary>
    public ulong High => _hi;

    /// <summary>The low 64 bits of an IPv6 address (or the IPv4 address in its low 32 bits), host order.</summary>
    public ulong Low => _lo;

    /// <summary>An IPv4 address as a host-order 32-bit value.</summary>
    public uint V4Value => (uint)_lo;

    /// <summary>The network protocol of this address (IPv4 or IPv6 EtherType), or 0 when empty.</summary>
    public ushort NetworkProtocol => _length switch
    {
        4 => NetworkProtocolNumber.IPv4,
        16 => NetworkProtocolNumber.IPv6,
        _ => 0,
    };

    /// <summary>True for 0.0.0.0 or ::.</summary>
    public bool IsUnspecified => _length != 0 && _hi == 0 && _lo == 0;

    /// <summary>True for 127.0.0.0/8 or ::1.</summary>
    public bool IsLoopback => _length == 4 ? (V4Value >> 24) == 127 : _length == 16 && _hi == 0 && _lo == 1;

    /// <summary>True for 224.0.0.0/4 or ff00::/8.</summary>
    public bool IsMulticast => _length == 4 ? (V4Value >> 28) == 0xE : _length == 16 && (_hi >> 56) == 0xFF;

    /// <summary>True for 255.255.255.255.</summary>
    public bool IsLimitedBroadcast => _length == 4 && V4Value == 0xFFFF_FFFF;

    /// <summary>True for 169.254.0.0/16 or fe80::/10.</summary>
    public bool IsLinkLocalUnicast => _length == 4
        ? (V4Value >> 16) == 0xA9FE
        : _length == 16 && (_hi >> 54) == (0xFE80UL >> 6);

    /// <summary>True for a link-local multicast address: 224.0.0.0/24 or ff02::/16.</summary>
    public bool IsLinkLocalMulticast => _length == 4
        ? (V4Value >> 8) == 0xE0_00_00
        : _length == 16 && (_hi >> 48) == 0xFF02;

    /// <summary>Creates an IPv4 address from its four octets.</summary>
    public static Address V4(byte a, byte b, byte c, byte d) => FromV4((uint)(a << 24 | b << 16 | c << 8 | d));

    /// <summary>Creates an IPv4 address from a host-order 32-bit value.</summary>
    public static Address FromV4(uint value) => new(0, value, 4);

    /// <summary>Creates an IPv6 address from its two host-order halves.</summary>
    public static Address FromV6(ulong high, ulong low) => new(high, low, 16);

    /// <summary>Reads an address of 4 or 16 network-order bytes.</summary>
    /// <exception cref="ArgumentException">The span is not 4 or 16 bytes long.</exception>
    public static Address FromBytes(ReadOnlySpan<byte> bytes) => bytes.Length switch
    {
        4 => FromV4(BinaryPrimitives.ReadUInt32BigEndian(bytes)),
        16 => new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), 16),
        _ => throw new ArgumentException($"An address is 4 or 16 bytes long, not {bytes.Length}.", nameof(bytes)),
    };

    /// <summary>Reads an IPv4 address from 4 network-order bytes.</summary>
    public static Address ReadV4(ReadOnlySpan<byte> bytes) => FromV4(BinaryPrimitives.ReadUInt32BigEndian(bytes));

    /// <summary>Reads an IPv6 address from 16 network-order bytes.</summary>
    public static Address ReadV6(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), 16);

    /// <summary>Writes the address in network order; the span must hold <see cref="Length"/> bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (_length == 4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, V4Value);
        }
        else if (_length == 16)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lo);
        }
    }

    /// <summary>Converts from <see cref="IPAddress"/> (IPv4-mapped IPv6 addresses stay IPv6).</summary>
    public static Address FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return FromBytes(bytes[..written]);
    }

    /// <summary>Converts to <see cref="IPAddress"/>.</summary>
    public IPAddress ToIPAddress()
    {
        if (_length == 0)
        {
            return IPAddress.None;
        }
        Span<byte> bytes = stackalloc byte[16];
        WriteTo(bytes);
        return new IPAddress(bytes[.._length]);
    }

    /// <summary>Parses dotted-quad IPv4 or textual IPv6.</summary>
    /// <exception cref="FormatException">The text is not an IP address.</exception>
    public static Address Parse(string text) => TryParse(text, out var a)
        ? a
        : throw new FormatException($"'{text}' is not an IPv4 or IPv6 address.");

    /// <summary>Parses dotted-quad IPv4 or textual IPv6.</summary>
    public static bool TryParse(string? text, out Address address)
    {
        if (text is not null && IPAddress.TryParse(text, out var ip)
            && ip.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
        {
            address = FromIPAddress(ip);
            return true;
        }
        address = default;
        return false;
    }

    /// <summary>The address with all bits after <paramref name="prefixLength"/> cleared.</summary>
    public Address Mask(int prefixLength)
    {
        int bits = _length * 8;
        if (prefixLength >= bits)
        {
            return this;
        }
        if (prefixLength <= 0)
        {
            return new(0, 0, _length);
        }
        if (_length == 4)
        {
            return FromV4(V4Value & (uint.MaxValue << (32 - prefixLength)));
        }
        return prefixLength <= 64
            ? new(_hi & (ulong.MaxValue << (64 - prefixLength)), 0, 16)
            : new(_hi, _lo & (ulong.MaxValue << (128 - prefixLength)), 16);
    }

    /// <summary>The number of leading bits this address shares with <paramref name="other"/>.</summary>
    public int CommonPrefixLength(Address other)
    {
        if (_length != other._length)
        {
            return 0;
        }
        if (_length == 4)
        {
            return Math.Min(32, System.Numerics.BitOperations.LeadingZeroCount(V4Value ^ other.V4Value));
        }
        ulong h = _hi ^ other._hi;
        return h != 0
            ? System.Numerics.BitOperations.LeadingZeroCount(h)
            : 64 + Math.Min(64, System.Numerics.BitOperations.LeadingZeroCount(_lo ^ other._lo));
    }

    /// <inheritdoc/>
    public bool Equals(Address other) => _lo == other._lo && _hi == other._hi && _length == other._length;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Address a && Equals(a);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        ulong x = _hi * 0x9E37_79B9_7F4A_7C15UL ^ _lo ^ ((ulong)_length << 59);
        x ^= x >> 29;
        x *= 0xBF58_476D_1CE4_E5B9UL;
        return (int)(x ^ (x >> 32));
    }

    /// <inheritdoc/>
    public int CompareTo(Address other)
    {
        int c = _length.CompareTo(other._length);
        if (c != 0)
        {
            return c;
        }
        c = _hi.CompareTo(other._hi);
        return c != 0 ? c : _lo.CompareTo(other._lo);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(Address left, Address right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Address left, Address right) => !left.Equals(right);

    /// <summary>Ordering (family first, then value).</summary>
    public static bool operator <(Address left, Address right) => left.CompareTo(right) < 0;

    /// <summary>Ordering (family first, then value).</summary>
    public static bool operator >(Address left, Address right) => left.CompareTo(right) > 0;

    /// <summary>Ordering (family first, then value).</summary>
    public static bool operator <=(Address left, Address right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering (family first, then value).</summary>
    public static bool operator >=(Address left, Address right) => left.CompareTo(right) >= 0;

    /// <summary>Dotted-quad or RFC 5952 text; "(empty)" for <see cref="Empty"/>.</summary>
    public override string ToString() => _length == 0 ? "(empty)" : ToIPAddress().ToString();

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc/>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (_length != 0)
        {
            return ToIPAddress().TryFormat(destination, out charsWritten);
        }
        bool fits = "(empty)".TryCopyTo(destination);
        charsWritten = fits ? 7 : 0;
        return fits;
    }
}
