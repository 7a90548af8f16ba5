using Netstack.Buffers;
using Netstack.Transport.Udp;

namespace Netstack.Sockets;

/// <summary>
/// A synchronous receive of a <see cref="UdpSocket"/>: it waits on the endpoint as an
/// <see cref="IUdpReadWaiter"/>, keeps a reference to the datagram it is handed, and wakes the blocked
/// caller, which copies the datagram into its span. Reused from one receive to the next. (The event never
/// creates a kernel handle, so it needs no disposal.)
/// </summary>
internal sealed class UdpBlockingReceive : IUdpReadWaiter
{
    private readonly ManualResetEventSlim _done = new(false);
    private PacketBuffer? _datagram;
    private UdpDatagramInfo _info;
    private TcpipError _error;

    /// <summary>Prepares for the next receive.</summary>
    public void Reset()
    {
        _done.Reset();
        _datagram = null;
        _info = default;
        _error = TcpipError.None;
    }

    /// <summary>Waits for completion; false when <paramref name="milliseconds"/> passed first (-1: no limit).</summary>
    public bool Wait(int milliseconds) => _done.Wait(milliseconds);

    /// <summary>
    /// After completion: copies the datagram into <paramref name="destination"/> (truncating) and releases it,
    /// or returns the error.
    /// </summary>
    public TcpipError Take(Span<byte> destination, out UdpReadResult result)
    {
        var datagram = _datagram;
        _datagram = null;
        if (datagram is null)
        {
            result = default;
            return _error;
        }
        try
        {
            int length = datagram.DataSize;
            result = new UdpReadResult(datagram.CopyDataTo(0, destination), length, _info);
            return TcpipError.None;
        }
        finally
        {
            datagram.Release();
        }
    }

    /// <summary>After completion: the datagram as a new array of its size (for the UdpClient-shaped receive).</summary>
    public TcpipError TakeArray(out byte[] bytes, out UdpDatagramInfo info)
    {
        info = _info;
        var datagram = _datagram;
        _datagram = null;
        if (datagram is null)
        {
            bytes = [];
            return _error;
        }
        try
        {
            bytes = datagram.DataToArray();
            return TcpipError.None;
        }
        finally
        {
            datagram.Release();
        }
    }

    public void OnDatagram(PacketBuffer datagram, in UdpDatagramInfo info)
    {
        datagram.IncRef();
        _datagram = datagram;
        _info = info;
        _done.Set();
    }

    public void OnError(TcpipError error)
    {
        _error = error;
        _done.Set();
    }
}
