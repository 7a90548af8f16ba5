namespace Netstack.Buffers;

/// <summary>Recycles <see cref="PacketBuffer"/> objects so that steady-state traffic allocates none.</summary>
internal static class PacketBufferPool
{
    private const int MaxRetained = 8192;
    private static readonly PacketBuffer?[] Items = new PacketBuffer?[MaxRetained];
    private static readonly Lock Gate = new();
    private const int ThreadCacheSize = 32;
    private static int _count;

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
