namespace Netstack.Buffers;

/// <summary>Recycles <see cref="PacketBuffer"/> objects so that steady-state traffic allocates none.</summary>
internal static class PacketBufferPool
{
    private const int MaxRetained = 8192;
    private static readonly PacketBuffer?[] Items = new PacketBuffer?[MaxRetained];
    private static readonly Lock Gate = new();
    private const int ThreadCacheSize = 32;
    private static int _count;

    /// <summary>
    /// False makes released packets go to the garbage collector instead of the pool, so that a packet used or
    /// released after its last release fails at once (its views are cleared, its count is spent) instead of
    /// corrupting the packet that reused the object. For tests (the fuzzer); true by default.
    /// </summary>
    internal static bool Recycle { get; set; } = true;

    // Each thread keeps a few packets, so a reader that delivers and releases on one thread takes no lock.
    [ThreadStatic]
    private static PacketBuffer?[]? _threadCache;
    [ThreadStatic]
    private static int _threadCount;

    public static PacketBuffer? Rent()
    {
        if (_threadCount > 0)
        {
            var cache = _threadCache!;
            var pkt = cache[--_threadCount];
            cache[_threadCount] = null;
            return pkt;
        }
        lock (Gate)
        {
            if (_count == 0)
            {
                return null;
            }
            var pkt = Items[--_count];
            Items[_count] = null;
            return pkt;
        }
    }

    public static void Return(PacketBuffer pkt)
    {
        if (!Recycle)
        {
            return;
        }
        var cache = _threadCache ??= new PacketBuffer?[ThreadCacheSize];
        if (_threadCount < ThreadCacheSize)
        {
            cache[_threadCount++] = pkt;
            return;
        }
        lock (Gate)
        {
            if (_count < MaxRetained)
            {
                Items[_count++] = pkt;
            }
        }
    }
}
