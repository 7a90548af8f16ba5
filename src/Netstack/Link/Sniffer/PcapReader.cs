using System.Buffers.Binary;

namespace Netstack.Link.Sniffer;

/// <summary>Reads a classic pcap file (either byte order, micro- or nanosecond timestamps) record by record.</summary>
public sealed class PcapReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _swapped;
    private readonly byte[] _recordHeader = new byte[16];

    /// <summary>Reads the file header.</summary>
    /// <exception cref="InvalidDataException">The stream is not a pcap file.</exception>
    public PcapReader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        Span<byte> h = stackalloc byte[24];
        stream.ReadExactly(h);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(h);
        _swapped = magic is 0xD4C3B2A1 or 0x4D3CB2A1;
        if (!_swapped && magic is not (0xA1B2C3D4 or 0xA1B23C4D))
        {
            throw new InvalidDataException($"Not a pcap file (magic 0x{magic:x8}; pcapng is not read).");
        }
        LinkType = Read32(h[20..]);
    }

    /// <summary>The file's link type (1 Ethernet, 101 raw IP...).</summary>
    public uint LinkType { get; }

    /// <summary>Reads the next record; null at the end of the file.</summary>
    public byte[]? ReadNext()
    {
        int got = _stream.ReadAtLeast(_recordHeader, _recordHeader.Length, throwOnEndOfStream: false);
        if (got < _recordHeader.Length)
        {
            return null;
        }
        uint captured = Read32(_recordHeader.AsSpan(8));
        if (captured > 1 << 24)
        {
            throw new InvalidDataException($"A pcap record claims {captured} bytes.");
        }
        var data = new byte[captured];
        _stream.ReadExactly(data);
        return data;
    }

    private uint Read32(ReadOnlySpan<byte> b) =>
        _swapped ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);

    /// <summary>Closes the stream.</summary>
    public void Dispose() => _stream.Dispose();
}
