using System.Net.Sockets;

namespace Netstack.Sockets;

/// <summary>
/// The one place where TCP's <see cref="TcpipError"/> values become the exceptions a .NET developer expects:
/// <see cref="SocketException"/> with the matching <see cref="SocketError"/>, wrapped in
/// <see cref="IOException"/> when they come out of a <see cref="Stream"/> (as <c>NetworkStream</c> does).
/// </summary>
internal static class TcpSocketErrors
{
    /// <summary>The <see cref="SocketError"/> for a stack error.</summary>
    public static SocketError ToSocketError(TcpipError error) => error switch
    {
        TcpipError.None => SocketError.Success,
        TcpipError.Aborted => SocketError.OperationAborted,
        TcpipError.AddressFamilyNotSupported => SocketError.AddressFamilyNotSupported,
        TcpipError.AlreadyBound => SocketError.InvalidArgument,
        TcpipError.AlreadyConnected => SocketError.IsConnected,
        TcpipError.AlreadyConnecting => SocketError.AlreadyInProgress,
        TcpipError.BadAddress => SocketError.AddressNotAvailable,
        TcpipError.BadLocalAddress => SocketError.AddressNotAvailable,
        TcpipError.ClosedForReceive => SocketError.Shutdown,
        TcpipError.ClosedForSend => SocketError.Shutdown,
        TcpipError.ConnectionAborted => SocketError.ConnectionAborted,
        TcpipError.ConnectionRefused => SocketError.ConnectionRefused,
        TcpipError.ConnectionReset => SocketError.ConnectionReset,
        TcpipError.DestinationRequired => SocketError.DestinationAddressRequired,
        TcpipError.HostDown => SocketError.HostDown,
        TcpipError.HostUnreachable => SocketError.HostUnreachable,
        TcpipError.InvalidEndpointState => SocketError.InvalidArgument,
        TcpipError.InvalidOptionValue => SocketError.InvalidArgument,
        TcpipError.MessageTooLong => SocketError.MessageSize,
        TcpipError.NetworkUnreachable => SocketError.NetworkUnreachable,
        TcpipError.NoBufferSpace => SocketError.NoBufferSpaceAvailable,
        TcpipError.NoNet => SocketError.NetworkDown,
        TcpipError.NoPortAvailable => SocketError.AddressNotAvailable,
        TcpipError.NotConnected => SocketError.NotConnected,
        TcpipError.NotSupported => SocketError.OperationNotSupported,
        TcpipError.PortInUse => SocketError.AddressAlreadyInUse,
        TcpipError.DuplicateAddress => SocketError.AddressAlreadyInUse,
        TcpipError.Timeout => SocketError.TimedOut,
        TcpipError.WouldBlock => SocketError.WouldBlock,
        TcpipError.UnknownProtocol => SocketError.ProtocolNotSupported,
        _ => SocketError.SocketError,
    };

    /// <summary>A <see cref="SocketException"/> for a stack error.</summary>
    public static SocketException ToException(TcpipError error) => new((int)ToSocketError(error));

    /// <summary>The <see cref="IOException"/> a stream throws for a failed read or write (NetworkStream's wording).</summary>
    public static IOException ToIOException(SocketException inner, bool reading) =>
        new($"Unable to {(reading ? "read data from" : "write data to")} the transport connection: {inner.Message}.", inner);
}
