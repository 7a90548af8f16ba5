namespace Netstack.Link.FdBased;

/// <summary>
/// Plain counters of one link endpoint, readable at any time from any thread (the CLI and tests read them;
/// <see cref="LinkMetrics"/> publishes the same numbers through System.Diagnostics.Metrics).
/// </summary>
public sealed class LinkStatistics
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private long _packetsReceived;
    private long _bytesReceived;
    private long _packetsSent;
    private long _bytesSent;
    private long _writeErrors;
    private long _shortWrites;
    private long _ringResyncs;
    private long _spuriousWakeups;
    private long _readerStopTimeouts;

    /// <summary>Packets delivered to the network dispatcher.</summary>
    public long PacketsReceived => Interlocked.Read(ref _packetsReceived);

    /// <summary>Bytes of delivered packets, link header included, virtio-net header not.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Packets written to an fd.</summary>
    public long PacketsSent => Interlocked.Read(ref _packetsSent);

    /// <summary>Bytes of written packets, link header included, virtio-net header not.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Write calls that failed (would-block, no buffer space and every other errno).</summary>
    public long WriteErrors => Interlocked.Read(ref _writeErrors);

    /// <summary>Writes that put fewer bytes on the fd than the packet had.</summary>
    public long ShortWrites => Interlocked.Read(ref _shortWrites);

    /// <summary>Times the PACKET_MMAP reader found the ring out of step with the kernel and resynchronised.</summary>
    public long RingResyncs => Interlocked.Read(ref _ringResyncs);

    /// <summary>Times poll said readable and there was nothing to read (the reader backs off instead of spinning).</summary>
    public long SpuriousWakeups => Interlocked.Read(ref _spuriousWakeups);

    /// <summary>Readers that did not stop within the bounded wait of a detach.</summary>
    public long ReaderStopTimeouts => Interlocked.Read(ref _readerStopTimeouts);

    /// <summary>Drops, all reasons together.</summary>
    public long TotalDrops
    {
        get
        {
            long n = 0;
            for (int i = 0; i < _drops.Length; i++)
            {
                n += Interlocked.Read(ref _drops[i]);
            }
            return n;
        }
    }

    /// <summary>Drops for one reason.</summary>
    public long Drops(DropReason reason) => Interlocked.Read(ref _drops[(int)reason]);

    internal void AddDrop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    internal void AddReceived(long packets, long bytes)
    {
        if (packets != 0)
        {
            Interlocked.Add(ref _packetsReceived, packets);
            Interlocked.Add(ref _bytesReceived, bytes);
        }
    }

    internal void AddSent(long packets, long bytes)
    {
        if (packets != 0)
        {
            Interlocked.Add(ref _packetsSent, packets);
            Interlocked.Add(ref _bytesSent, bytes);
        }
    }

    internal void AddWriteError() => Interlocked.Increment(ref _writeErrors);

    internal void AddShortWrite() => Interlocked.Increment(ref _shortWrites);

    internal void AddRingResync() => Interlocked.Increment(ref _ringResyncs);

    internal void AddSpuriousWakeup() => Interlocked.Increment(ref _spuriousWakeups);

    internal void AddReaderStopTimeout() => Interlocked.Increment(ref _readerStopTimeouts);

    /// <summary>One line: packets, bytes and drops by reason (for logs and the CLI).</summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append($"rx {PacketsReceived} pkts {BytesReceived} B, tx {PacketsSent} pkts {BytesSent} B, drops {TotalDrops}");
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            long n = Drops(reason);
            if (n != 0)
            {
                sb.Append($" {reason}={n}");
            }
        }
        if (WriteErrors != 0)
        {
            sb.Append($", write errors {WriteErrors}");
        }
        if (ShortWrites != 0)
        {
            sb.Append($", short writes {ShortWrites}");
        }
        return sb.ToString();
    }
}
