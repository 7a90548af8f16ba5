namespace Netstack.Cli.Demo;

/// <summary>A connected TCP client of either kind (kernel or userspace socket): its stream and its half-close.</summary>
internal sealed class DemoTcpClient(Stream stream, Action shutdownWrite) : IAsyncDisposable
{
    public Stream Stream { get; } = stream;

    /// <summary>Closes the sending direction (shutdown(SHUT_WR)).</summary>
    public void ShutdownWrite() => shutdownWrite();

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}
