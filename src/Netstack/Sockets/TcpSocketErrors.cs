using System.Net.Sockets;

namespace Netstack.Sockets;

/// <summary>
/// How TCP's failures reach the caller: a <see cref="SocketException"/> from the shared table
/// (<see cref="TcpipErrorExtensions"/>), wrapped in <see cref="IOException"/> when it comes out of a
/// <see cref="Stream"/>, as <c>NetworkStream</c> does.
/// </summary>
internal static class TcpSocketErrors
{
    /// <summary>The <see cref="SocketException"/> for a negated error code returned by the endpoint.</summary>
    public static SocketException FromResult(int result) => ((TcpipError)(-result)).ToSocketException();

    /// <summary>The <see cref="IOException"/> a stream throws for a failed read or write (NetworkStream's wording).</summary>
    public static IOException ToIOException(SocketException inner, bool reading) =>
        new($"Unable to {(reading ? "read data from" : "write data to")} the transport connection: {inner.Message}.", inner);
}
