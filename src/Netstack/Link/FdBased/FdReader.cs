using Netstack.Buffers;
using Netstack.Interop;

namespace Netstack.Link.FdBased;

/// <summary>
/// The dedicated thread that receives from one fd: dispatch until the fd would block, then sleep in
/// <c>ppoll([stop eventfd, fd])</c>. It ends when the stop signal is set (detach), or when the fd reaches end of
/// file or fails (then the endpoint reports it through the closed callback). The thread owns its dispatcher and
/// frees its buffers itself on the way out, so a detach never frees memory a reader still uses.
/// </summary>
internal sealed unsafe class FdReader
{
    [ThreadStatic]
    private static FdReader? _current;

    private readonly FdInfo _fd;
    private readonly IInboundDispatcher _dispatcher;
    private readonly InboundProcessor _processor;
    private readonly StopSignal _stop;
    private readonly LinkStatistics _stats;
    private readonly Action<FdReader, TcpipError?> _exited;
    private readonly Thread _thread;

    public FdReader(int index, FdInfo fd, IInboundDispatcher dispatcher, InboundProcessor processor, StopSignal stop,
        LinkStatistics stats, Action<FdReader, TcpipError?> exited)
    {
        Index = index;
        _fd = fd;
        _dispatcher = dispatcher;
        _processor = processor;
        _stop = stop;
        _stats = stats;
        _exited = exited;
        stop.AddRef();
        _thread = new Thread(Run) { IsBackground = true, Name = $"netstack-rx-fd{fd.Fd}" };
    }

    /// <summary>Position of the fd in the endpoint's list.</summary>
    public int Index { get; }

    /// <summary>The reader running on the calling thread, if any.</summary>
    public static FdReader? Current => _current;

    public void Start() => _thread.Start();

    /// <summary>Waits up to <paramref name="timeout"/> for the thread to end (never for the calling thread itself).</summary>
    public bool Join(TimeSpan timeout) => ReferenceEquals(_current, this) || _thread.Join(timeout);

    private void Run()
    {
        _current = this;
        TcpipError? closed = null;
        try
        {
            closed = Loop();
        }
        catch (Exception)
        {
            // A bug below must not take the process down; the fd is reported closed instead.
            closed = TcpipError.Aborted;
        }
        finally
        {
            _processor.Flush();
            _dispatcher.Dispose();
            // The chunks this thread released sit in its pool cache; hand them back before the thread ends.
            ChunkPool.FlushThreadCache();
            _stop.Release();
            _exited(this, closed);
        }
    }

    private TcpipError? Loop()
    {
        int progressCount = 0;
        int emptyWakeups = 0;
        bool pollSaidReadable = false;
        while (!_stop.IsSet)
        {
            var status = _dispatcher.Dispatch(out var error);
            if (status == DispatchStatus.ProgressDrained)
            {
                // A short batch: the queue is most likely empty, and ppoll returns at once if it is not.
                pollSaidReadable = false;
                emptyWakeups = 0;
            }
            else if (status == DispatchStatus.Progress)
            {
                pollSaidReadable = false;
                emptyWakeups = 0;
                if ((++progressCount & 15) == 0)
                {
                    _processor.Flush();
                }
                continue;
            }
            _processor.Flush();
            if (status == DispatchStatus.Closed)
            {
                return error;
            }
            if (pollSaidReadable && status == DispatchStatus.WouldBlock)
            {
                // Readable, yet nothing to read: let the dispatcher resynchronise, and back off if it persists.
                _stats.AddSpuriousWakeup();
                _dispatcher.OnSpuriousWakeup();
                if (++emptyWakeups > 1 && WaitStopOnly(Math.Min(1 << emptyWakeups, 20)))
                {
                    return null;
                }
            }
            short events = WaitReadable();
            if (events < 0)
            {
                return null;
            }
            if ((events & PollNative.POLLIN) == 0 && (events & (PollNative.POLLHUP | PollNative.POLLERR | PollNative.POLLNVAL)) != 0)
            {
                return HangUpError(events);
            }
            pollSaidReadable = true;
        }
        return null;
    }

    // ppoll on [stop, fd]; returns the fd's events, or -1 when the stop signal fired.
    private short WaitReadable()
    {
        var fds = stackalloc PollFd[2];
        while (true)
        {
            fds[0] = new PollFd { Fd = _stop.Fd, Events = PollNative.POLLIN };
            fds[1] = new PollFd { Fd = _fd.Fd, Events = PollNative.POLLIN };
            int n = PollNative.PPoll(fds, 2, null, null);
            if (n < 0)
            {
                int errno = FileNative.LastErrno;
                if (errno == Errno.EINTR)
                {
                    continue;
                }
                return PollNative.POLLERR;
            }
            if (fds[0].ReturnedEvents != 0 || _stop.IsSet)
            {
                return -1;
            }
            if (fds[1].ReturnedEvents != 0)
            {
                return fds[1].ReturnedEvents;
            }
        }
    }

    // Sleeps up to the timeout unless stopped; true when the stop signal fired.
    private bool WaitStopOnly(int milliseconds)
    {
        var p = new PollFd { Fd = _stop.Fd, Events = PollNative.POLLIN };
        var timeout = new TimeSpec { Seconds = 0, Nanoseconds = milliseconds * 1_000_000L };
        PollNative.PPoll(&p, 1, &timeout, null);
        return _stop.IsSet;
    }

    private TcpipError HangUpError(short events)
    {
        if ((events & PollNative.POLLERR) != 0 && _fd.IsSocket
            && SocketNative.GetInt(_fd.Fd, SocketNative.SOL_SOCKET, SocketNative.SO_ERROR, out int soError) == 0 && soError != 0)
        {
            return ErrnoTranslation.ToTcpipError(soError);
        }
        return (events & PollNative.POLLNVAL) != 0 ? TcpipError.InvalidEndpointState : TcpipError.ClosedForReceive;
    }
}
