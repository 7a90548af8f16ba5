using System.Runtime.InteropServices;

namespace Netstack.Interop;

/// <summary>Waiting on descriptors: ppoll and eventfd.</summary>
public static unsafe partial class PollNative
{
    /// <summary>POLLIN.</summary>
    public const short POLLIN = 0x1;
    /// <summary>POLLOUT.</summary>
    public const short POLLOUT = 0x4;
    /// <summary>POLLERR.</summary>
    public const short POLLERR = 0x8;
    /// <summary>POLLHUP.</summary>
    public const short POLLHUP = 0x10;
    /// <summary>POLLNVAL.</summary>
    public const short POLLNVAL = 0x20;
    /// <summary>EFD_NONBLOCK.</summary>
    public const int EFD_NONBLOCK = 0x800;
    /// <summary>EFD_CLOEXEC.</summary>
    public const int EFD_CLOEXEC = 0x80000;

    /// <summary>ppoll(2); a null timeout waits forever, a null mask keeps the signal mask.</summary>
    [LibraryImport("libc", EntryPoint = "ppoll", SetLastError = true)]
    public static partial int PPoll(PollFd* fds, nuint count, TimeSpec* timeout, void* sigmask);

    /// <summary>eventfd(2).</summary>
    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);
}
