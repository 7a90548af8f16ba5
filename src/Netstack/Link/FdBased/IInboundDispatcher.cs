namespace Netstack.Link.FdBased;

/// <summary>Reads inbound packets from one fd (readv, recvmmsg or the PACKET_MMAP ring). Owned by one reader thread.</summary>
internal interface IInboundDispatcher : IDisposable
{
    /// <summary>Reads and hands on what is available (one read call or ring pass).</summary>
    DispatchStatus Dispatch(out TcpipError error);

    /// <summary>Poll said readable and there was nothing: recover if the dispatcher can get out of step (the ring).</summary>
    void OnSpuriousWakeup();
}
