namespace Netstack.Stack;

/// <summary>
/// The outcome of <see cref="ILinkEndpoint.WritePackets"/>: how many packets, from the front of the batch,
/// were written, and the error that stopped the rest (<see cref="TcpipError.None"/> when all were).
/// </summary>
public readonly record struct WriteResult(int Written, TcpipError Error)
{
    /// <summary>True when no error stopped the batch.</summary>
    public bool Ok => Error == TcpipError.None;
}
