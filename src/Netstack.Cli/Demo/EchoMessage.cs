using System.Buffers.Binary;
using Netstack.Headers;

namespace Netstack.Cli.Demo;

/// <summary>ICMP and ICMPv6 echo requests and replies as the demo's own ping probes build and match them.</summary>
internal static class EchoMessage
{
    /// <summary>Header (8 bytes) and 56 bytes of data, as ping sends by default.</summary>
    public const int Size = 64;

    /// <summary>Writes an echo request into <paramref name="destination"/> (<see cref="Size"/> bytes); the ICMPv4 checksum is filled in, the ICMPv6 one left 0.</summary>
    public static void WriteRequest(Span<byte> destination, bool v6, ushort identifier, ushort sequence)
    {
        var message = destination[..Size];
        message.Clear();
        message[0] = v6 ? Icmpv6Type.EchoRequest : Icmpv4Type.Echo;
        BinaryPrimitives.WriteUInt16BigEndian(message[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(message[6..], sequence);
        for (int i = 8; i < Size; i++)
        {
            message[i] = (byte)i;
        }
        if (!v6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(message[2..], Checksum.Compute(message));
        }
    }

    /// <summary>True when <paramref name="message"/> (from the ICMP header on) is the echo reply to (identifier, sequence).</summary>
    public static bool IsReply(ReadOnlySpan<byte> message, bool v6, ushort identifier, ushort sequence) =>
        message.Length >= 8
        && message[0] == (v6 ? Icmpv6Type.EchoReply : Icmpv4Type.EchoReply)
        && BinaryPrimitives.ReadUInt16BigEndian(message[4..]) == identifier
        && BinaryPrimitives.ReadUInt16BigEndian(message[6..]) == sequence;
}
