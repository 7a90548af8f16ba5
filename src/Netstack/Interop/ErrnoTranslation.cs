namespace Netstack.Interop;

/// <summary>
/// The one errno table: maps a host errno to the stack's <see cref="TcpipError"/>, as gVisor's
/// <c>rawfile.TranslateErrno</c> does. Errno 0 and every errno the table does not name map to
/// <see cref="TcpipError.InvalidEndpointState"/> (gVisor's default, the EINVAL translation).
/// </summary>
public static class ErrnoTranslation
{
    /// <summary>The stack error for <paramref name="errno"/>.</summary>
    public static TcpipError ToTcpipError(int errno) => errno switch
    {
        Errno.EEXIST => TcpipError.DuplicateAddress,
        // gVisor names this ErrNoRoute; ours is NetworkUnreachable.
        Errno.ENETUNREACH => TcpipError.NetworkUnreachable,
        Errno.EINVAL => TcpipError.InvalidEndpointState,
        Errno.EALREADY => TcpipError.AlreadyConnecting,
        Errno.EISCONN => TcpipError.AlreadyConnected,
        Errno.EADDRINUSE => TcpipError.PortInUse,
        Errno.EADDRNOTAVAIL => TcpipError.BadLocalAddress,
        Errno.EPIPE => TcpipError.ClosedForSend,
        Errno.EAGAIN => TcpipError.WouldBlock,
        Errno.ECONNREFUSED => TcpipError.ConnectionRefused,
        Errno.ETIMEDOUT => TcpipError.Timeout,
        Errno.EINPROGRESS => TcpipError.ConnectStarted,
        Errno.EDESTADDRREQ => TcpipError.DestinationRequired,
        Errno.ENOTSUP => TcpipError.NotSupported,
        Errno.ENOTTY => TcpipError.QueueSizeNotSupported,
        Errno.ENOTCONN => TcpipError.NotConnected,
        Errno.ECONNRESET => TcpipError.ConnectionReset,
        Errno.ECONNABORTED => TcpipError.ConnectionAborted,
        Errno.EMSGSIZE => TcpipError.MessageTooLong,
        Errno.ENOBUFS => TcpipError.NoBufferSpace,
        _ => TcpipError.InvalidEndpointState,
    };
}
