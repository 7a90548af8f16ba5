using System.Threading.Tasks.Sources;

namespace Netstack.Transport.Tcp;

/// <summary>
/// A reusable, allocation-free wake-up for one waiting operation (a read, a write, a connect, an accept):
/// the waiter arms it and awaits; the protocol side sets it when the condition may have changed, and the
/// waiter re-checks under the connection's lock. Continuations never run on the thread that sets it (a
/// receive thread must not run application code). Cancellation completes the wait with
/// <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class TcpSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Armed = 1;
    private const int Completed = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;

    /// <summary>True while someone waits.</summary>
    public bool IsWaiting => Volatile.Read(ref _state) == Armed;

    /// <summary>Arms the signal; the returned task completes on <see cref="Set"/> or cancellation.</summary>
    /// <exception cref="InvalidOperationException">Another wait of this kind is pending.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) == Armed)
        {
            throw new InvalidOperationException("Another operation of the same kind is already pending on this connection.");
        }
        _core.Reset();
        _token = cancellationToken;
        Volatile.Write(ref _state, Armed);
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static s => ((TcpSignal)s!).Cancel(), this);
        }
        return new ValueTask(this, _core.Version);
    }

    /// <summary>Wakes the waiter, if any.</summary>
    public void Set()
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) == Armed)
        {
            _core.SetResult(true);
        }
    }

    /// <inheritdoc/>
    public void GetResult(short token)
    {
        _registration.Dispose();
        _registration = default;
        Volatile.Write(ref _state, Idle);
        _core.GetResult(token);
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Cancel()
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) == Armed)
        {
            _core.SetException(new OperationCanceledException(_token));
        }
    }
}
