using System.Buffers;
using System.Runtime.InteropServices;

namespace Netstack.Buffers;

/// <summary>
/// A block of native (never-moving) memory from a <see cref="ChunkPool"/>, reference-counted. Its address
/// can go straight into an iovec; as a <see cref="MemoryManager{T}"/> it also hands out
/// <see cref="Memory{T}"/> for async APIs without allocating. Every holder of a reference calls
/// <see cref="Release"/> once; the last release returns the chunk to its pool.
/// </summary>
public sealed unsafe class Chunk : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private int _refs;

    internal Chunk(ChunkPool pool, int sizeClass, int capacity)
    {
        Pool = pool;
        SizeClass = sizeClass;
        Capacity = capacity;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)capacity, 64);
    }

    /// <summary>Usable bytes in this chunk.</summary>
    public int Capacity { get; }

    /// <summary>Address of the first byte; valid while a reference is held.</summary>
    public byte* Pointer => _pointer;

    /// <summary>The whole chunk.</summary>
    public Span<byte> Span => new(_pointer, Capacity);

    /// <summary>Current number of references (0 while pooled).</summary>
    public int ReferenceCount => Volatile.Read(ref _refs);

    internal ChunkPool Pool { get; }

    internal int SizeClass { get; }

    /// <summary>A slice of the chunk.</summary>
    public Span<byte> AsSpan(int offset, int length) => new Span<byte>(_pointer, Capacity).Slice(offset, length);

    /// <summary>Takes one more reference.</summary>
    public void AddRef()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
        {
            throw new InvalidOperationException("A chunk was referenced after it went back to its pool.");
        }
    }

    /// <summary>Drops one reference; the last one returns the chunk to its pool.</summary>
    public void Release()
    {
        int refs = Interlocked.Decrement(ref _refs);
        if (refs == 0)
        {
            Pool.Return(this);
        }
        else if (refs < 0)
        {
            throw new InvalidOperationException("A chunk was released more times than it was referenced.");
        }
    }

    internal void OnRent() => Volatile.Write(ref _refs, 1);

    internal void Free() => NativeMemory.AlignedFree(_pointer);

    /// <inheritdoc/>
    public override Span<byte> GetSpan() => Span;

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <inheritdoc/>
    /// <remarks>The memory belongs to the pool; use <see cref="Release"/> to give a reference back.</remarks>
    protected override void Dispose(bool disposing)
    {
    }
}
