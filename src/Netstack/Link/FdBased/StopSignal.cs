using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>
/// The eventfd that wakes a generation of reader threads out of ppoll. Reference-counted: the endpoint and
/// each reader hold one, and the last release closes it, so a reader that outlives a bounded wait never polls
/// a closed (or reused) fd number.
/// </summary>
internal sealed unsafe class StopSignal
{
    private int _refs = 1;
    private volatile bool _set;

    private StopSignal(int fd) => Fd = fd;

    public int Fd { get; }

    public bool IsSet => _set;

    /// <summary>Creates the eventfd; throws if the kernel refuses.</summary>
    public static StopSignal Create()
    {
        int fd = PollNative.EventFd(0, PollNative.EFD_NONBLOCK | PollNative.EFD_CLOEXEC);
        if (fd < 0)
        {
            int errno = FileNative.LastErrno;
            throw new InvalidOperationException($"eventfd failed: errno {errno}.");
        }
        return new StopSignal(fd);
    }

    /// <summary>Wakes every reader; they stay woken (the counter is never read back).</summary>
    public void Set()
    {
        _set = true;
        ulong one = 1;
        FileNative.Write(Fd, (byte*)&one, sizeof(ulong));
    }

    public void AddRef() => Interlocked.Increment(ref _refs);

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            FileNative.Close(Fd);
        }
    }
}
