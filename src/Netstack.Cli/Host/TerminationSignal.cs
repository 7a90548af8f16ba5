using System.Runtime.InteropServices;

namespace Netstack.Cli.Host;

/// <summary>
/// Turns SIGINT (Ctrl+C), SIGTERM and SIGHUP into a clean stop: the first one cancels <see cref="Token"/>
/// and keeps the process alive so it can shut down and print its summary; a second one ends the process
/// at once (the default action), for a shutdown that hangs.
/// </summary>
internal sealed class TerminationSignal : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signals;
    private int _stopped;

    public TerminationSignal()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
        ];
    }

    /// <summary>Cancelled by the first signal, or by <see cref="Stop"/>.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>What stopped the process: "SIGINT", "SIGTERM", "SIGHUP", or the reason given to <see cref="Stop"/>.</summary>
    public string Reason { get; private set; } = "";

    /// <summary>Stops for a reason other than a signal (the device went away...).</summary>
    public void Stop(string reason)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            Reason = reason;
            _cts.Cancel();
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) == 1)
        {
            context.Cancel = true;
            Stop(context.Signal.ToString());
        }
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }
        _cts.Dispose();
    }
}
