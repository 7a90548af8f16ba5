using Netstack.Interop;

namespace Netstack.Tests.Infrastructure;

/// <summary>A pipe (a non-socket fd); <see cref="Dispose"/> closes both ends.</summary>
public sealed unsafe class Pipe : IDisposable
{
    private int _read;
    private int _write;

    public Pipe()
    {
        int* fds = stackalloc int[2];
        if (FileNative.Pipe2(fds, FileNative.O_CLOEXEC) != 0)
        {
            throw new IOException($"pipe2: errno {FileNative.LastErrno}");
        }
        _read = fds[0];
        _write = fds[1];
    }

    public int Read => _read;

    public int Write => _write;

    public void CloseWrite()
    {
        int fd = Interlocked.Exchange(ref _write, -1);
        if (fd >= 0)
        {
            FileNative.Close(fd);
        }
    }

    public void Dispose()
    {
        CloseWrite();
        int fd = Interlocked.Exchange(ref _read, -1);
        if (fd >= 0)
        {
            FileNative.Close(fd);
        }
    }
}
