using System.Numerics;

namespace Netstack.Buffers;

/// <summary>
/// A pool of native-memory <see cref="Chunk"/>s in power-of-two size classes from
/// <see cref="MinChunkSize"/> to <see cref="MaxChunkSize"/> bytes. Renting and returning do not allocate
/// once the pool is warm; a bounded number of free chunks is kept per class and the rest is freed, so
/// memory goes back to the system after a burst.
/// </summary>
public sealed class ChunkPool
{
    /// <summary>The smallest chunk (bytes).</summary>
    public const int MinChunkSize = 128;

    /// <summary>The largest chunk (bytes).</summary>
    public const int MaxChunkSize = 65536;

    private const int ClassCount = 10; // 128 << 9 == 65536
    private const long DefaultRetainedBytesPerClass = 32L << 20;
    private const int ThreadCacheSize = 16;

    // At most this many bytes per size class in one thread's cache (but one chunk at least). Threads that only
    // release packets (an application reading on the thread pool) fill their caches with receive chunks they
    // never rent back; at 16 chunks of every class that was 2 MiB a thread, most of a host's memory growth.
    private const int ThreadCacheBytesPerClass = 64 * 1024;

    // A few free chunks per size class kept by each thread, for the pool it last used: a reader thread that
    // rents receive buffers and releases the packets it delivered never takes the lock in steady state.
    [ThreadStatic]
    private static ThreadCache? _threadCache;

    private readonly SizeClass[] _classes = new SizeClass[ClassCount];

    /// <summary>Creates a pool that keeps up to <paramref name="retainedBytesPerClass"/> free bytes per size class.</summary>
    public ChunkPool(long retainedBytesPerClass = DefaultRetainedBytesPerClass)
    {
        if (retainedBytesPerClass < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(retainedBytesPerClass), retainedBytesPerClass, "Must be 0 or more.");
        }
        for (int i = 0; i < ClassCount; i++)
        {
            int size = MinChunkSize << i;
            _classes[i] = new SizeClass(size, (int)Math.Clamp(retainedBytesPerClass / size, 16, 1 << 16));
        }
    }

    /// <summary>The process-wide pool used by the stack.</summary>
    public static ChunkPool Shared { get; } = new();

    /// <summary>Chunks rented and not yet returned (a leak shows as a count that does not go back down).</summary>
    public long Outstanding
    {
        get
        {
            long n = 0;
            foreach (var c in _classes)
            {
                lock (c)
                {
                    n += Interlocked.Read(ref c.Rented) - Interlocked.Read(ref c.Returned);
                }
            }
            return n;
        }
    }

    /// <summary>Bytes held in free chunks, ready for reuse.</summary>
    public long RetainedBytes
    {
        get
        {
            long n = 0;
            foreach (var c in _classes)
            {
                lock (c)
                {
                    n += (long)c.Count * c.Size;
                }
            }
            return n;
        }
    }

    /// <summary>The chunk size that <see cref="Rent"/> returns for a request of <paramref name="minimumSize"/> bytes.</summary>
    public static int ChunkSizeFor(int minimumSize) => MinChunkSize << ClassIndex(minimumSize);

    /// <summary>Rents a chunk of at least <paramref name="minimumSize"/> bytes, holding one reference.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is negative or above <see cref="MaxChunkSize"/>.</exception>
    public Chunk Rent(int minimumSize)
    {
        if ((uint)minimumSize > MaxChunkSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minimumSize), minimumSize, $"A chunk holds 0..{MaxChunkSize} bytes.");
        }
        int index = ClassIndex(minimumSize);
        var sizeClass = _classes[index];
        Interlocked.Increment(ref sizeClass.Rented);
        var cache = _threadCache;
        Chunk? chunk = null;
        if (cache is not null && ReferenceEquals(cache.Pool, this) && cache.Counts[index] > 0)
        {
            chunk = cache.Take(index);
            chunk.OnRent();
            return chunk;
        }
        lock (sizeClass)
        {
            if (sizeClass.Count > 0)
            {
                chunk = sizeClass.Items[--sizeClass.Count];
                sizeClass.Items[sizeClass.Count] = null;
            }
        }
        chunk ??= new Chunk(this, index, sizeClass.Size);
        chunk.OnRent();
        return chunk;
    }

    /// <summary>Frees every pooled chunk (those still rented are freed when returned).</summary>
    public void Trim()
    {
        foreach (var c in _classes)
        {
            lock (c)
            {
                for (int i = 0; i < c.Count; i++)
                {
                    c.Items[i]!.Free();
                    c.Items[i] = null;
                }
                c.Count = 0;
            }
        }
    }

    internal void Return(Chunk chunk)
    {
        var sizeClass = _classes[chunk.SizeClass];
        Interlocked.Increment(ref sizeClass.Returned);
        var cache = _threadCache ??= new ThreadCache(this);
        if (!ReferenceEquals(cache.Pool, this) && cache.IsEmpty)
        {
            cache.Pool = this;
        }
        if (ReferenceEquals(cache.Pool, this) && cache.TryPut(chunk))
        {
            return;
        }
        ReturnShared(chunk);
    }

    /// <summary>
    /// Moves the calling thread's cached free chunks back to their pool's shared stacks. A thread that is about
    /// to end calls it (the endpoint's reader threads do); otherwise the cache's finalizer does it after the
    /// thread is gone.
    /// </summary>
    public static void FlushThreadCache() => _threadCache?.Drain();

    private void ReturnShared(Chunk chunk)
    {
        var sizeClass = _classes[chunk.SizeClass];
        lock (sizeClass)
        {
            if (sizeClass.Count < sizeClass.Items.Length)
            {
                sizeClass.Items[sizeClass.Count++] = chunk;
                return;
            }
        }
        chunk.Free();
    }

    private static int ClassIndex(int size) =>
        size <= MinChunkSize ? 0 : BitOperations.Log2((uint)size - 1) + 1 - BitOperations.Log2(MinChunkSize);

    private sealed class ThreadCache(ChunkPool pool)
    {
        public readonly Chunk?[][] Items = CreateItems();
        public readonly int[] Counts = new int[ClassCount];
        public ChunkPool Pool = pool;

        // A thread that ended without flushing leaves its cache unreachable: give the chunks back then.
        ~ThreadCache() => Drain();

        public bool IsEmpty => Counts.AsSpan().IndexOfAnyExcept(0) < 0;

        public void Drain()
        {
            for (int index = 0; index < ClassCount; index++)
            {
                while (Counts[index] > 0)
                {
                    Pool.ReturnShared(Take(index));
                }
            }
        }

        public Chunk Take(int index)
        {
            var items = Items[index];
            int n = --Counts[index];
            var chunk = items[n]!;
            items[n] = null;
            return chunk;
        }

        public bool TryPut(Chunk chunk)
        {
            int index = chunk.SizeClass;
            if (Counts[index] == Items[index].Length)
            {
                return false;
            }
            Items[index][Counts[index]++] = chunk;
            return true;
        }

        private static Chunk?[][] CreateItems()
        {
            var items = new Chunk?[ClassCount][];
            for (int i = 0; i < ClassCount; i++)
            {
                items[i] = new Chunk?[Math.Clamp(ThreadCacheBytesPerClass / (MinChunkSize << i), 1, ThreadCacheSize)];
            }
            return items;
        }
    }

    private sealed class SizeClass(int size, int maxRetained)
    {
        public readonly int Size = size;
        public readonly Chunk?[] Items = new Chunk?[maxRetained];
        public int Count;
        public long Rented;
        public long Returned;
    }
}
