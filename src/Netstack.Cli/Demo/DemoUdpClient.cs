namespace Netstack.Cli.Demo;

/// <summary>A connected UDP client of either kind (kernel or userspace socket), as its send and receive calls.</summary>
internal sealed class DemoUdpClient(
    Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send,
    Func<Memory<byte>, CancellationToken, ValueTask<int>> receive,
    IDisposable socket) : IDisposable
{
    public Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> Send { get; } = send;

    public Func<Memory<byte>, CancellationToken, ValueTask<int>> Receive { get; } = receive;

    public void Dispose() => socket.Dispose();
}
