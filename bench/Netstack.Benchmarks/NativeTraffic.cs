using System.Runtime.InteropServices;
using Netstack.Interop;

namespace Netstack.Benchmarks;

/// <summary>Batches of datagrams sent and drained with sendmmsg/recvmmsg from native memory (no managed allocation).</summary>
internal sealed unsafe class NativeTraffic : IDisposable
{
    private readonly int _count;
    private readonly int _size;
    private readonly byte* _data;
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _messages;

    public NativeTraffic(int count, int size)
    {
        _count = count;
        _size = size;
        int bufferSize = Math.Max(size, 65664);
        _data = (byte*)NativeMemory.AllocZeroed((nuint)(count * bufferSize));
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(IoVec));
        _messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(MMsgHdr));
        for (int i = 0; i < count; i++)
        {
            byte* p = _data + i * bufferSize;
            p[0] = 0x45; // reads as IPv4
            _iov[i] = new IoVec { Base = p, Length = (nuint)bufferSize };
            _messages[i].Header.Iov = _iov + i;
            _messages[i].Header.IovLength = 1;
        }
    }

    /// <summary>Sends the whole batch (retrying partial counts); returns false on an error other than would-block.</summary>
    public bool Send(int fd)
    {
        for (int i = 0; i < _count; i++)
        {
            _iov[i].Length = (nuint)_size;
        }
        int done = 0;
        while (done < _count)
        {
            int n = SocketNative.SendMMsg(fd, _messages + done, (uint)(_count - done), 0);
            if (n < 0)
            {
                if (FileNative.LastErrno is Errno.EAGAIN or Errno.EINTR)
                {
                    WaitWritable(fd);
                    continue;
                }
                return false;
            }
            done += n;
        }
        return true;
    }

    /// <summary>Receives up to <paramref name="wanted"/> datagrams; returns how many.</summary>
    public int Drain(int fd, int wanted)
    {
        int got = 0;
        while (got < wanted)
        {
            for (int i = 0; i < _count; i++)
            {
                _iov[i].Length = 65664;
            }
            int n = SocketNative.RecvMMsg(fd, _messages, (uint)Math.Min(_count, wanted - got), 0, null);
            if (n <= 0)
            {
                break;
            }
            got += n;
        }
        return got;
    }

    public static void WaitWritable(int fd)
    {
        var p = new PollFd { Fd = fd, Events = PollNative.POLLOUT };
        var t = new TimeSpec { Nanoseconds = 100_000_000 };
        PollNative.PPoll(&p, 1, &t, null);
    }

    public void Dispose()
    {
        NativeMemory.Free(_data);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_messages);
    }
}
