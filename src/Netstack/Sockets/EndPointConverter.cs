using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Netstack.Sockets;

/// <summary>
/// Converts between .NET's endpoint types (<see cref="IPEndPoint"/>, <see cref="SocketAddress"/>) and the
/// stack's <see cref="FullAddress"/>. An IPv6 scope id is the NIC id: the stack's NIC ids play the role of
/// interface indexes. Errors are what a .NET <see cref="Socket"/> reports for the same input.
/// </summary>
public static class EndPointConverter
{
    // Linux's sockaddr layout (what SocketAddress.Buffer holds on Linux).
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;
    private const int SockAddrInSize = 16;
    private const int SockAddrIn6Size = 28;

    /// <summary>The .NET address family of <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentException">The address is empty.</exception>
    public static AddressFamily FamilyOf(Address address) => address.Length switch
    {
        4 => AddressFamily.InterNetwork,
        16 => AddressFamily.InterNetworkV6,
        _ => throw new ArgumentException("The empty address has no family.", nameof(address)),
    };

    /// <summary>The stack's unspecified address for a .NET address family (0.0.0.0 or ::).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The family is neither InterNetwork nor InterNetworkV6.</exception>
    public static Address AnyAddress(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => Address.AnyV4,
        AddressFamily.InterNetworkV6 => Address.AnyV6,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "The address family must be InterNetwork or InterNetworkV6."),
    };

    /// <summary>
    /// Converts an endpoint given to a socket of <paramref name="socketFamily"/>. An IPv6 scope id becomes
    /// <see cref="FullAddress.NicId"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="endPoint"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="endPoint"/> is not an <see cref="IPEndPoint"/> (no name resolution here).</exception>
    /// <exception cref="SocketException">Its family is not the socket's (<see cref="SocketError.AddressFamilyNotSupported"/>, as .NET on Linux).</exception>
    public static FullAddress ToFullAddress(EndPoint endPoint, AddressFamily socketFamily)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint is not IPEndPoint ip)
        {
            throw new ArgumentException(
                $"Only IPEndPoint is supported (got {endPoint.GetType().Name}); resolve names before calling.", nameof(endPoint));
        }
        if (ip.AddressFamily != socketFamily)
        {
            throw new SocketException((int)SocketError.AddressFamilyNotSupported);
        }
        return ToFullAddress(ip);
    }

    /// <summary>Converts an <see cref="IPEndPoint"/>; an IPv6 scope id becomes <see cref="FullAddress.NicId"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="endPoint"/> is null.</exception>
    /// <exception cref="ArgumentException">The address is neither IPv4 nor IPv6.</exception>
    public static FullAddress ToFullAddress(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var ip = endPoint.Address;
        if (ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"{ip} is neither an IPv4 nor an IPv6 address.", nameof(endPoint));
        }
        int nic = ip.AddressFamily == AddressFamily.InterNetworkV6 ? (int)Math.Min(ip.ScopeId, int.MaxValue) : 0;
        return new FullAddress(Address.FromIPAddress(ip), (ushort)endPoint.Port, nic);
    }

    /// <summary>
    /// Converts to an <see cref="IPEndPoint"/> (allocates). The NIC id becomes the scope id of an IPv6
    /// link-local address, as Linux reports one in <c>sin6_scope_id</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The address is empty.</exception>
    public static IPEndPoint ToIPEndPoint(FullAddress address)
    {
        if (address.Address.IsEmpty)
        {
            throw new ArgumentException("The empty address has no endpoint.", nameof(address));
        }
        var ip = address.Address.ToIPAddress();
        if (NeedsScope(address))
        {
            ip.ScopeId = address.NicId;
        }
        return new IPEndPoint(ip, address.Port);
    }

    /// <summary>
    /// Writes <paramref name="address"/> into <paramref name="destination"/> as a Linux <c>sockaddr_in</c> or
    /// <c>sockaddr_in6</c> and sets its <see cref="SocketAddress.Size"/> (no allocation).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentException">The address is empty, or <paramref name="destination"/> is too small for its family.</exception>
    public static void WriteSocketAddress(FullAddress address, SocketAddress destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        int size = address.Address.Length switch
        {
            4 => SockAddrInSize,
            16 => SockAddrIn6Size,
            _ => throw new ArgumentException("The empty address has no socket address.", nameof(address)),
        };
        var buffer = destination.Buffer.Span;
        if (buffer.Length < size)
        {
            throw new ArgumentException(
                $"The SocketAddress holds {buffer.Length} bytes; {FamilyOf(address.Address)} needs {size}.", nameof(destination));
        }
        buffer[..size].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], address.Port);
        if (size == SockAddrInSize)
        {
            BitConverter.TryWriteBytes(buffer, AfInet);
            address.Address.WriteTo(buffer[4..]);
        }
        else
        {
            BitConverter.TryWriteBytes(buffer, AfInet6);
            address.Address.WriteTo(buffer[8..]);
            if (NeedsScope(address))
            {
                BitConverter.TryWriteBytes(buffer[24..], (uint)address.NicId);
            }
        }
        destination.Size = size;
    }

    /// <summary>Reads a Linux <c>sockaddr_in</c> / <c>sockaddr_in6</c> given to a socket of <paramref name="socketFamily"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="address"/> is shorter than its family's structure.</exception>
    /// <exception cref="SocketException">Its family is not the socket's (<see cref="SocketError.AddressFamilyNotSupported"/>).</exception>
    public static FullAddress ReadSocketAddress(SocketAddress address, AddressFamily socketFamily)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Family != socketFamily)
        {
            throw new SocketException((int)SocketError.AddressFamilyNotSupported);
        }
        var buffer = address.Buffer.Span[..address.Size];
        int need = socketFamily == AddressFamily.InterNetwork ? SockAddrInSize : SockAddrIn6Size;
        if (buffer.Length < need)
        {
            throw new ArgumentException($"A {socketFamily} SocketAddress needs {need} bytes, not {buffer.Length}.", nameof(address));
        }
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        if (need == SockAddrInSize)
        {
            return new FullAddress(Address.ReadV4(buffer[4..]), port);
        }
        uint scope = BitConverter.ToUInt32(buffer[24..]);
        return new FullAddress(Address.ReadV6(buffer[8..]), port, (int)Math.Min(scope, int.MaxValue));
    }

    private static bool NeedsScope(FullAddress address) =>
        address.NicId != 0 && address.Address.IsV6 && (address.Address.IsLinkLocalUnicast || address.Address.IsLinkLocalMulticast);
}
