using Netstack.Interop;

namespace Netstack.Tests.Infrastructure;

/// <summary>An AF_UNIX socketpair (SEQPACKET or DGRAM); <see cref="Dispose"/> closes whichever end is still open.</summary>
public sealed unsafe class SocketPair : IDisposable
{
    private int _local;
    private int _peer;

    public SocketPair(int type = SocketNative.SOCK_SEQPACKET)
    {
        int* fds = stackalloc int[2];
        if (SocketNative.SocketPair(SocketNative.AF_UNIX, type | SocketNative.SOCK_CLOEXEC, 0, fds) != 0)
        {
            throw new IOException($"socketpair: errno {FileNative.LastErrno}");
        }
        _local = fds[0];
        _peer = fds[1];
    }

    /// <summary>The end given to the endpoint.</summary>
    public int Local => _local;

    /// <summary>The end the test reads and writes.</summary>
    public int Peer => _peer;

    public void ClosePeer() => Close(ref _peer);

    public void CloseLocal() => Close(ref _local);

    /// <summary>Writes one datagram into the peer end.</summary>
    public void Send(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            if (FileNative.Write(_peer, p, (nuint)data.Length) != data.Length)
            {
                throw new IOException($"write: errno {FileNative.LastErrno}");
            }
        }
    }

    /// <summary>Reads one datagram from the peer end, waiting up to 5 s; null on timeout.</summary>
    public byte[]? Receive(int max = 70000) => ReadFrom(_peer, max);

    public static byte[]? ReadFrom(int fd, int max = 70000)
    {
        var buffer = new byte[max];
        var p = new PollFd { Fd = fd, Events = PollNative.POLLIN };
        var timeout = new TimeSpec { Seconds = 5 };
        if (PollNative.PPoll(&p, 1, &timeout, null) <= 0)
        {
            return null;
        }
        fixed (byte* b = buffer)
        {
            nint n = FileNative.Read(fd, b, (nuint)max);
            return n < 0 ? null : buffer[..(int)n];
        }
    }

    /// <summary>Sets the send buffer of the endpoint's end (small, so a test fills it quickly).</summary>
    public void SetLocalSendBuffer(int bytes) => SocketNative.SetInt(_local, SocketNative.SOL_SOCKET, SocketNative.SO_SNDBUFFORCE, bytes);

    private static void Close(ref int fd)
    {
        int f = Interlocked.Exchange(ref fd, -1);
        if (f >= 0)
        {
            FileNative.Close(f);
        }
    }

    public void Dispose()
    {
        Close(ref _local);
        Close(ref _peer);
    }
}
