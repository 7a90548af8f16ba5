using System.Buffers.Binary;
using Netstack.Stack;

namespace Netstack.Transport.Tcp;

/// <summary>
/// The keyed functions of one stack: initial sequence numbers (RFC 6528: a 4 µs clock plus a keyed hash of
/// the connection's addresses and ports), per-connection timestamp offsets (RFC 7323 section 7.1, so
/// TSval leaks no host clock), and the hash behind SYN cookies. Keys are random per stack.
/// </summary>
internal sealed class TcpSecrets
{
    private readonly SipHash _isn = SipHash.CreateRandom();
    private readonly SipHash _timestamps = SipHash.CreateRandom();
    private readonly SipHash _cookies = SipHash.CreateRandom();

    /// <summary>RFC 6528 ISN for <paramref name="id"/> at <paramref name="nowUs"/>.</summary>
    public uint InitialSequenceNumber(in TransportEndpointId id, long nowUs) =>
        unchecked((uint)Hash(_isn, id, 0, 0) + (uint)(nowUs / 4));

    /// <summary>The offset added to this connection's timestamp clock; a function of the four-tuple only, so a
    /// SYN cookie's TSval and the later connection's agree.</summary>
    public uint TimestampOffset(in TransportEndpointId id) => unchecked((uint)Hash(_timestamps, id, 0, 0));

    /// <summary>The cookie hash for a connection, the peer's ISN and a time counter.</summary>
    public uint CookieHash(in TransportEndpointId id, uint peerIsn, uint counter) =>
        unchecked((uint)Hash(_cookies, id, peerIsn, counter));

    private static ulong Hash(in SipHash key, in TransportEndpointId id, uint a, uint b)
    {
        Span<byte> bytes = stackalloc byte[48];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, id.LocalAddress.High);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], id.LocalAddress.Low);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[16..], id.RemoteAddress.High);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[24..], id.RemoteAddress.Low);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[32..], id.LocalPort);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[34..], id.RemotePort);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[36..], a);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[40..], b);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[44..], (uint)id.LocalAddress.Length);
        return key.Hash(bytes);
    }
}
