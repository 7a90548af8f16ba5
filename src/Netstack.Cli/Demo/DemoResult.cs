namespace Netstack.Cli.Demo;

/// <summary>One row of the demo's summary table: a round-trip test (sent, answered, RTTs) or a transfer (bytes, time).</summary>
internal sealed record DemoResult
{
    /// <summary>What ran, e.g. "ping 10.0.0.2" or "TCP upload to :9".</summary>
    public required string Name { get; init; }

    /// <summary>Who drove it, e.g. "kernel ping", "kernel UDP socket".</summary>
    public required string Driver { get; init; }

    /// <summary>Requests sent (0 for a transfer).</summary>
    public int Sent { get; init; }

    /// <summary>Round-trip times of the answered requests, in milliseconds.</summary>
    public IReadOnlyList<double> RoundTrips { get; init; } = [];

    /// <summary>Bytes moved (transfers).</summary>
    public long Bytes { get; init; }

    /// <summary>How long the transfer took.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Why the test could not run or failed, if it did.</summary>
    public string? Error { get; init; }

    /// <summary>Requests answered.</summary>
    public int Received => RoundTrips.Count;

    /// <summary>True when the test ran and everything it sent was answered (or the transfer moved bytes).</summary>
    public bool Ok => Error is null && (Sent > 0 ? Received == Sent : Bytes > 0);

    /// <summary>Bits per second of a transfer.</summary>
    public double BitsPerSecond => Elapsed > TimeSpan.Zero ? Bytes * 8 / Elapsed.TotalSeconds : 0;

    /// <summary>A failed test.</summary>
    public static DemoResult Failed(string name, string driver, string error) => new() { Name = name, Driver = driver, Error = error };
}
