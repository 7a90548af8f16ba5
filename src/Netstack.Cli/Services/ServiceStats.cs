namespace Netstack.Cli.Services;

/// <summary>Counters of one service (connections or datagrams, bytes each way), safe to read from any thread.</summary>
internal sealed class ServiceStats(string name)
{
    private long _active;
    private long _accepted;
    private long _bytesIn;
    private long _bytesOut;
    private long _datagrams;
    private long _errors;

    /// <summary>The service's name as <c>--serve</c> spells it.</summary>
    public string Name { get; } = name;

    /// <summary>Connections open now.</summary>
    public long Active => Interlocked.Read(ref _active);

    /// <summary>Connections accepted in all.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Payload bytes received.</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Payload bytes sent.</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    /// <summary>Datagrams answered (UDP).</summary>
    public long Datagrams => Interlocked.Read(ref _datagrams);

    /// <summary>Connections that ended with an error (reset, timeout) rather than a close, and failed sends.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    public void Opened()
    {
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _active);
    }

    public void Closed() => Interlocked.Decrement(ref _active);

    public void Received(long bytes) => Interlocked.Add(ref _bytesIn, bytes);

    public void Sent(long bytes) => Interlocked.Add(ref _bytesOut, bytes);

    public void Datagram() => Interlocked.Increment(ref _datagrams);

    public void Error() => Interlocked.Increment(ref _errors);
}
