using System.Runtime.InteropServices;

namespace Netstack.Interop;

/// <summary>File-descriptor calls: read/write (plain and vectored), close, fcntl, fstat, ioctl, pipes.</summary>
public static unsafe partial class FileNative
{
    /// <summary>F_GETFL.</summary>
    public const int F_GETFL = 3;
    /// <summary>F_SETFL.</summary>
    public const int F_SETFL = 4;
    /// <summary>F_SETPIPE_SZ.</summary>
    public const int F_SETPIPE_SZ = 1031;
    /// <summary>O_RDWR.</summary>
    public const int O_RDWR = 2;
    /// <summary>O_NONBLOCK.</summary>
    public const int O_NONBLOCK = 0x800;
    /// <summary>O_CLOEXEC.</summary>
    public const int O_CLOEXEC = 0x80000;
    /// <summary>S_IFMT: the file-type bits of st_mode.</summary>
    public const uint S_IFMT = 0xF000;
    /// <summary>S_IFSOCK: a socket.</summary>
    public const uint S_IFSOCK = 0xC000;
    /// <summary>IOV_MAX: most iovecs one call takes.</summary>
    public const int IOV_MAX = 1024;

    /// <summary>read(2).</summary>
    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    /// <summary>readv(2).</summary>
    [LibraryImport("libc", EntryPoint = "readv", SetLastError = true)]
    public static partial nint Readv(int fd, IoVec* iov, int iovcnt);

    /// <summary>write(2).</summary>
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    /// <summary>writev(2).</summary>
    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static partial nint Writev(int fd, IoVec* iov, int iovcnt);

    /// <summary>close(2).</summary>
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>open(2) with a mode-less flag set.</summary>
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    /// <summary>fcntl(2) with an integer argument.</summary>
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    /// <summary>fstat(2) into a raw buffer of at least 256 bytes (struct stat differs per architecture).</summary>
    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FstatRaw(int fd, byte* statBuffer);

    /// <summary>ioctl(2) with a pointer argument.</summary>
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    /// <summary>ioctl(2) with an integer argument.</summary>
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, nint argument);

    /// <summary>pipe2(2).</summary>
    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    /// <summary>The errno of the last failed call on this thread.</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>st_mode of <paramref name="fd"/>; returns 0 or an errno.</summary>
    public static int GetFileMode(int fd, out uint mode)
    {
        byte* stat = stackalloc byte[256];
        if (FstatRaw(fd, stat) != 0)
        {
            mode = 0;
            return LastErrno;
        }
        // st_mode follows st_dev, st_ino (and st_nlink on x86-64, where it is 64-bit).
        int offset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        mode = *(uint*)(stat + offset);
        return 0;
    }

    /// <summary>Sets or clears O_NONBLOCK; returns the previous flags, or -errno.</summary>
    public static int SetNonBlocking(int fd, bool nonBlocking)
    {
        int flags = Fcntl(fd, F_GETFL, 0);
        if (flags < 0)
        {
            return -LastErrno;
        }
        int wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        if (wanted != flags && Fcntl(fd, F_SETFL, wanted) < 0)
        {
            return -LastErrno;
        }
        return flags;
    }
}
