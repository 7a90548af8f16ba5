namespace Netstack.Buffers;

/// <summary>A slice of a <see cref="Chunk"/>: the unit a packet is made of and an iovec points at.</summary>
public readonly struct BufferView
{
    /// <summary>Creates a view of <paramref name="length"/> bytes at <paramref name="offset"/> in <paramref name="chunk"/>.</summary>
    public BufferView(Chunk chunk, int offset, int length)
    {
        Chunk = chunk;
        Offset = offset;
        Length = length;
    }

    /// <summary>The chunk holding the bytes.</summary>
    public Chunk Chunk { get; }

    /// <summary>Offset of the first byte in the chunk.</summary>
    public int Offset { get; }

    /// <summary>Number of bytes.</summary>
    public int Length { get; }

    /// <summary>The bytes.</summary>
    public Span<byte> Span => Chunk.AsSpan(Offset, Length);

    /// <summary>The bytes as <see cref="Memory{T}"/> (no allocation).</summary>
    public Memory<byte> Memory => Chunk.Memory.Slice(Offset, Length);

    /// <summary>A narrower view of the same chunk (no reference taken).</summary>
    public BufferView Slice(int start, int length) => new(Chunk, Offset + start, length);
}
