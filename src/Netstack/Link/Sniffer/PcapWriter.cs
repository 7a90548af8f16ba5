using System.Buffers.Binary;

namespace Netstack.Link.Sniffer;

/// <summary>
/// Writes a classic pcap file (microsecond timestamps, little-endian): the format tcpdump, tshark and Wireshark
/// open. Thread-safe: records from several reader threads are written whole, one at a time.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    /// <summary>LINKTYPE_ETHERNET.</summary>
    public const uint LinkTypeEthernet = 1;

    /// <summary>LINKTYPE_RAW: raw IPv4/IPv6, no link header.</summary>
    public const uint LinkTypeRaw = 101;

    private readonly Stream _stream;
    private readonly byte[] _header = new byte[16];
    private readonly Lock _gate = new();

    /// <summary>Starts a pcap stream with its file header.</summary>
    public PcapWriter(Stream stream, uint linkType, int snapLength = 262144)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        Span<byte> h = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], linkType);
        _stream.Write(h);
    }

    /// <summary>Records written.</summary>
    public long Count { get; private set; }

    /// <summary>Appends one record with the given capture time.</summary>
    public void Write(ReadOnlySpan<byte> packet, DateTimeOffset time)
    {
        long micros = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        lock (_gate)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_header, (uint)(micros / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(4), (uint)(micros % 1_000_000));
            BinaryPrimitives.WriteInt32LittleEndian(_header.AsSpan(8), packet.Length);
            BinaryPrimitives.WriteInt32LittleEndian(_header.AsSpan(12), packet.Length);
            _stream.Write(_header);
            _stream.Write(packet);
            Count++;
        }
    }

    /// <summary>Flushes the stream.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            _stream.Flush();
        }
    }

    /// <summary>Flushes and closes the stream.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stream.Dispose();
        }
    }
}
