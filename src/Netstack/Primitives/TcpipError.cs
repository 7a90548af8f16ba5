namespace Netstack;

/// <summary>
/// Errors on the packet path, as values rather than exceptions (gVisor's <c>tcpip.Error</c>).
/// <see cref="None"/> means success. The socket API turns these into <c>SocketException</c>s.
/// </summary>
public enum TcpipError
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>The operation was aborted.</summary>
    Aborted,
    /// <summary>The address family is not supported.</summary>
    AddressFamilyNotSupported,
    /// <summary>The endpoint is already bound.</summary>
    AlreadyBound,
    /// <summary>The endpoint is already connected.</summary>
    AlreadyConnected,
    /// <summary>A connection attempt is already in progress.</summary>
    AlreadyConnecting,
    /// <summary>A bad address was given.</summary>
    BadAddress,
    /// <summary>A bad buffer was given.</summary>
    BadBuffer,
    /// <summary>The local address is not assigned to this host.</summary>
    BadLocalAddress,
    /// <summary>Sending to a broadcast address without the broadcast option.</summary>
    BroadcastDisabled,
    /// <summary>The endpoint is closed for receiving.</summary>
    ClosedForReceive,
    /// <summary>The endpoint is closed for sending.</summary>
    ClosedForSend,
    /// <summary>A non-blocking connect has started.</summary>
    ConnectStarted,
    /// <summary>The connection was aborted.</summary>
    ConnectionAborted,
    /// <summary>The peer refused the connection.</summary>
    ConnectionRefused,
    /// <summary>The peer reset the connection.</summary>
    ConnectionReset,
    /// <summary>A destination address is required.</summary>
    DestinationRequired,
    /// <summary>The address is already in use (or failed duplicate address detection).</summary>
    DuplicateAddress,
    /// <summary>A NIC with this id already exists.</summary>
    DuplicateNicId,
    /// <summary>The endpoint is in a state that does not allow the operation.</summary>
    InvalidEndpointState,
    /// <summary>An option value is out of range.</summary>
    InvalidOptionValue,
    /// <summary>The port range is invalid.</summary>
    InvalidPortRange,
    /// <summary>A header is malformed.</summary>
    MalformedHeader,
    /// <summary>The message is too long for the link or protocol.</summary>
    MessageTooLong,
    /// <summary>No route to the network.</summary>
    NetworkUnreachable,
    /// <summary>No buffer space is available (ENOBUFS).</summary>
    NoBufferSpace,
    /// <summary>No ephemeral port is free.</summary>
    NoPortAvailable,
    /// <summary>The host is unreachable (for example, neighbour resolution failed).</summary>
    HostUnreachable,
    /// <summary>The host is down.</summary>
    HostDown,
    /// <summary>The machine is not on the network.</summary>
    NoNet,
    /// <summary>No such file or directory.</summary>
    NoSuchFile,
    /// <summary>The endpoint is not connected.</summary>
    NotConnected,
    /// <summary>The operation is not permitted.</summary>
    NotPermitted,
    /// <summary>The operation is not supported.</summary>
    NotSupported,
    /// <summary>The port is in use.</summary>
    PortInUse,
    /// <summary>Querying the queue size is not supported.</summary>
    QueueSizeNotSupported,
    /// <summary>The operation timed out.</summary>
    Timeout,
    /// <summary>The device is unknown.</summary>
    UnknownDevice,
    /// <summary>No NIC has this id.</summary>
    UnknownNicId,
    /// <summary>The protocol is unknown.</summary>
    UnknownProtocol,
    /// <summary>The protocol option is unknown.</summary>
    UnknownProtocolOption,
    /// <summary>The operation would block (EAGAIN/EWOULDBLOCK).</summary>
    WouldBlock,
    /// <summary>Required fields are missing.</summary>
    MissingRequiredFields,
    /// <summary>A multicast input interface cannot be used as output.</summary>
    MulticastInputCannotBeOutput,
}
