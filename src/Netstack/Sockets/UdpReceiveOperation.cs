using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Netstack.Buffers;
using Netstack.Transport.Udp;

namespace Netstack.Sockets;

/// <summary>
/// One asynchronous receive of a <see cref="UdpSocket"/>: it waits on the endpoint as an
/// <see cref="IUdpReadWaiter"/> and is the <see cref="IValueTaskSource{TResult}"/> behind the returned
/// <see cref="ValueTask{TResult}"/>. Reused from one receive to the next, so a steady receive loop allocates
/// nothing. Continuations never run on the stack's receive thread.
/// </summary>
internal sealed class UdpReceiveOperation :
    IUdpReadWaiter,
    IValueTaskSource<int>,
    IValueTaskSource<SocketReceiveFromResult>,
    IValueTaskSource<UdpReceiveMessageFromResult>,
    IValueTaskSource<UdpReceiveResult>
{
    private const int Waiting = 0;
    private const int Registered = 1;
    private const int Completed = 2;

    private static readonly Action<object?> s_cancel = static state => ((UdpReceiveOperation)state!).Cancel();

    private readonly UdpSocket _owner;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private Memory<byte> _buffer;
    private bool _allocate;
    private byte[]? _array;
    private SocketAddress? _receivedAddress;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;
    private int _state;
    private bool _canceled;
    private TcpipError _error;
    private int _copied;
    private int _length;
    private UdpDatagramInfo _info;

    public UdpReceiveOperation(UdpSocket owner) => _owner = owner;

    public short Version => _core.Version;

    /// <summary>
    /// Prepares a receive into <paramref name="buffer"/> (or, with <paramref name="allocate"/>, into a new array
    /// of the datagram's size); the sender is written into <paramref name="receivedAddress"/> if given.
    /// </summary>
    public void Start(Memory<byte> buffer, bool allocate, SocketAddress? receivedAddress, CancellationToken cancellationToken)
    {
        _core.Reset();
        _buffer = buffer;
        _allocate = allocate;
        _array = null;
        _receivedAddress = receivedAddress;
        _token = cancellationToken;
        _registration = default;
        _state = Waiting;
        _canceled = false;
        _error = TcpipError.None;
        _copied = 0;
        _length = 0;
        _info = default;
    }

    /// <summary>After the endpoint queued this waiter: cancels it when the token fires.</summary>
    public void RegisterCancellation()
    {
        if (!_token.CanBeCanceled)
        {
            return;
        }
        _registration = _token.UnsafeRegister(s_cancel, this);
        // The datagram may have come (or the token fired inside UnsafeRegister) before the registration was
        // stored: then Finish could not dispose it, so it is disposed here.
        if (Interlocked.CompareExchange(ref _state, Registered, Waiting) == Completed)
        {
            _registration.Dispose();
        }
    }

    /// <summary>Completes with an error without waiting (the endpoint refused the read).</summary>
    public void Fail(TcpipError error) => OnError(error);

    public void OnDatagram(PacketBuffer datagram, in UdpDatagramInfo info)
    {
        int length = datagram.DataSize;
        if (_allocate)
        {
            _array = new byte[length];
            _copied = datagram.CopyDataTo(0, _array);
        }
        else
        {
            _copied = datagram.CopyDataTo(0, _buffer.Span);
        }
        _length = length;
        _info = info;
        Finish();
    }

    public void OnError(TcpipError error)
    {
        _error = error;
        Finish();
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    int IValueTaskSource<int>.GetResult(short token)
    {
        _core.GetResult(token);
        var receivedAddress = _receivedAddress;
        var outcome = TakeOutcome();
        outcome.ThrowIfFailed(_owner);
        if (receivedAddress is not null)
        {
            EndPointConverter.WriteSocketAddress(outcome.Info.Remote, receivedAddress);
        }
        return outcome.Copied;
    }

    SocketReceiveFromResult IValueTaskSource<SocketReceiveFromResult>.GetResult(short token)
    {
        _core.GetResult(token);
        var outcome = TakeOutcome();
        outcome.ThrowIfFailed(_owner);
        return new SocketReceiveFromResult
        {
            ReceivedBytes = outcome.Copied,
            RemoteEndPoint = EndPointConverter.ToIPEndPoint(outcome.Info.Remote),
        };
    }

    UdpReceiveMessageFromResult IValueTaskSource<UdpReceiveMessageFromResult>.GetResult(short token)
    {
        _core.GetResult(token);
        var outcome = TakeOutcome();
        outcome.ThrowIfFailed(_owner);
        var flags = outcome.Length > outcome.Copied ? SocketFlags.Truncated : SocketFlags.None;
        return new UdpReceiveMessageFromResult(outcome.Copied, flags, outcome.Info.Remote, outcome.Info.LocalAddress, outcome.Info.NicId);
    }

    UdpReceiveResult IValueTaskSource<UdpReceiveResult>.GetResult(short token)
    {
        _core.GetResult(token);
        var outcome = TakeOutcome();
        outcome.ThrowIfFailed(_owner);
        return new UdpReceiveResult(outcome.Array!, EndPointConverter.ToIPEndPoint(outcome.Info.Remote));
    }

    private void Cancel()
    {
        if (_owner.Endpoint.CancelWait(this))
        {
            _canceled = true;
            Finish();
        }
    }

    private void Finish()
    {
        // Drop the cancellation registration before completing, so no late callback can touch this object
        // once it is reused. Dispose waits for a callback running on another thread (a brief CancelWait) and
        // returns at once inside the callback itself.
        if (Interlocked.Exchange(ref _state, Completed) == Registered)
        {
            _registration.Dispose();
        }
        _core.SetResult(true);
    }

    // Copies the result out, clears references to the caller's memory and gives the operation back to the
    // socket for the next receive.
    private Outcome TakeOutcome()
    {
        var outcome = new Outcome(_error, _canceled, _token, _copied, _length, _info, _array);
        _buffer = default;
        _array = null;
        _receivedAddress = null;
        _token = default;
        _owner.ReturnReceiveOperation(this);
        return outcome;
    }

    private readonly record struct Outcome(
        TcpipError Error, bool Canceled, CancellationToken Token, int Copied, int Length, UdpDatagramInfo Info, byte[]? Array)
    {
        public void ThrowIfFailed(UdpSocket owner)
        {
            if (Canceled)
            {
                throw new OperationCanceledException(Token);
            }
            if (Error != TcpipError.None)
            {
                throw owner.ReceiveException(Error, Token);
            }
        }
    }
}
