using Netstack.Buffers;

namespace Netstack.Transport.Tcp;

/// <summary>
/// Copies received payload bytes densely into small pooled chunks, so that bytes which arrived in large,
/// mostly empty receive chunks stop pinning them (Linux's <c>tcp_collapse</c> copies into compact skbs for
/// the same reason). Each view handed out holds its own chunk reference; the chunk being filled is held
/// until it is full. Not thread-safe: the connection's lock guards it.
/// </summary>
internal sealed class CompactWriter
{
    /// <summary>Size of the chunks bytes are copied into.</summary>
    public const int ChunkSize = 4096;

    private readonly ChunkPool _pool;
    private Chunk? _chunk;
    private int _used;

    public CompactWriter(ChunkPool pool) => _pool = pool;

    /// <summary>The unused part of the chunk being filled: pinned, but holding no bytes yet.</summary>
    public int Slack => _chunk is null ? 0 : ChunkSize - _used;

    /// <summary>
    /// Space for up to <paramref name="wanted"/> bytes in the chunk being filled (the rest of it when less
    /// is left), with its own reference; the caller copies the bytes in.
    /// </summary>
    public BufferView Reserve(int wanted)
    {
        _chunk ??= _pool.Rent(ChunkSize);
        int n = Math.Min(wanted, ChunkSize - _used);
        var view = new BufferView(_chunk, _used, n);
        _chunk.AddRef();
        _used += n;
        if (_used == ChunkSize)
        {
            Reset();
        }
        return view;
    }

    /// <summary>Lets go of the chunk being filled (views already handed out keep it alive).</summary>
    public void Reset()
    {
        _chunk?.Release();
        _chunk = null;
        _used = 0;
    }
}
