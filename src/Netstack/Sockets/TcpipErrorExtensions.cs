using System.Net.Sockets;

namespace Netstack.Sockets;

/// <summary>
/// The one table from the stack's <see cref="TcpipError"/> to .NET's <see cref="SocketError"/>, so every socket
/// class throws what <see cref="Socket"/> throws on Linux for the same condition (the errno a Linux socket
/// would return, as .NET translates it). Every <see cref="TcpipError"/> value has an explicit entry.
/// </summary>
public static class TcpipErrorExtensions
{
    /// <summary>
    /// The <see cref="SocketError"/> a .NET <see cref="Socket"/> on Linux reports for the condition
    /// <paramref name="error"/> names.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="error"/> is not a defined value.</exception>
    public static SocketError ToSocketError(this TcpipError error) => error switch
    {
        TcpipError.None => SocketError.Success,
        // The operation ended because the socket was closed under it: what .NET reports for a pending
        // operation on a disposed socket.
        TcpipError.Aborted => SocketError.OperationAborted,
        TcpipError.AddressFamilyNotSupported => SocketError.AddressFamilyNotSupported,
        // Linux: bind on a bound socket is EINVAL.
        TcpipError.AlreadyBound => SocketError.InvalidArgument,
        TcpipError.AlreadyConnected => SocketError.IsConnected,
        TcpipError.AlreadyConnecting => SocketError.AlreadyInProgress,
        // An address that cannot be used here (unspecified destination, port 0 where one is needed).
        TcpipError.BadAddress => SocketError.AddressNotAvailable,
        TcpipError.BadBuffer => SocketError.Fault,
        TcpipError.BadLocalAddress => SocketError.AddressNotAvailable,
        // Linux: sending to a broadcast address without SO_BROADCAST is EACCES.
        TcpipError.BroadcastDisabled => SocketError.AccessDenied,
        TcpipError.ClosedForReceive => SocketError.Shutdown,
        // EPIPE, which .NET reports as Shutdown.
        TcpipError.ClosedForSend => SocketError.Shutdown,
        TcpipError.ConnectStarted => SocketError.InProgress,
        TcpipError.ConnectionAborted => SocketError.ConnectionAborted,
        TcpipError.ConnectionRefused => SocketError.ConnectionRefused,
        TcpipError.ConnectionReset => SocketError.ConnectionReset,
        TcpipError.DestinationRequired => SocketError.DestinationAddressRequired,
        TcpipError.DuplicateAddress => SocketError.AddressAlreadyInUse,
        TcpipError.DuplicateNicId => SocketError.InvalidArgument,
        TcpipError.InvalidEndpointState => SocketError.InvalidArgument,
        TcpipError.InvalidOptionValue => SocketError.InvalidArgument,
        TcpipError.InvalidPortRange => SocketError.InvalidArgument,
        TcpipError.MalformedHeader => SocketError.InvalidArgument,
        TcpipError.MessageTooLong => SocketError.MessageSize,
        TcpipError.NetworkUnreachable => SocketError.NetworkUnreachable,
        TcpipError.NoBufferSpace => SocketError.NoBufferSpaceAvailable,
        // Linux: connect with the ephemeral range exhausted is EADDRNOTAVAIL ("Cannot assign requested
        // address"), the case applications meet (bind to port 0 would say EADDRINUSE).
        TcpipError.NoPortAvailable => SocketError.AddressNotAvailable,
        TcpipError.HostUnreachable => SocketError.HostUnreachable,
        TcpipError.HostDown => SocketError.HostDown,
        TcpipError.NoNet => SocketError.NetworkDown,
        // ENOENT, which .NET reports as AddressNotAvailable.
        TcpipError.NoSuchFile => SocketError.AddressNotAvailable,
        TcpipError.NotConnected => SocketError.NotConnected,
        TcpipError.NotPermitted => SocketError.AccessDenied,
        TcpipError.NotSupported => SocketError.OperationNotSupported,
        TcpipError.PortInUse => SocketError.AddressAlreadyInUse,
        TcpipError.QueueSizeNotSupported => SocketError.OperationNotSupported,
        TcpipError.Timeout => SocketError.TimedOut,
        // ENODEV has no SocketError of its own; the caller named a device that does not exist.
        TcpipError.UnknownDevice => SocketError.InvalidArgument,
        TcpipError.UnknownNicId => SocketError.InvalidArgument,
        TcpipError.UnknownProtocol => SocketError.ProtocolNotSupported,
        TcpipError.UnknownProtocolOption => SocketError.ProtocolOption,
        TcpipError.WouldBlock => SocketError.WouldBlock,
        TcpipError.MissingRequiredFields => SocketError.InvalidArgument,
        TcpipError.MulticastInputCannotBeOutput => SocketError.InvalidArgument,
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, "Not a defined TcpipError value."),
    };

    /// <summary>
    /// A <see cref="SocketException"/> for <paramref name="error"/>, with .NET's usual message for its
    /// <see cref="SocketError"/> (for example "Connection refused").
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="error"/> is <see cref="TcpipError.None"/>.</exception>
    public static SocketException ToSocketException(this TcpipError error)
    {
        if (error == TcpipError.None)
        {
            throw new ArgumentException("TcpipError.None is success, not an error.", nameof(error));
        }
        return new SocketException((int)error.ToSocketError());
    }

    /// <summary>Throws the <see cref="SocketException"/> for <paramref name="error"/> unless it is <see cref="TcpipError.None"/>.</summary>
    /// <exception cref="SocketException"><paramref name="error"/> is an error.</exception>
    public static void ThrowIfError(this TcpipError error)
    {
        if (error != TcpipError.None)
        {
            throw error.ToSocketException();
        }
    }
}
