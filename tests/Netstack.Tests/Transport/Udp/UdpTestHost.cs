using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Link.Channel;
using Netstack.Stack;
using Netstack.Transport.Udp;

namespace Netstack.Tests.Transport.Udp;

/// <summary>One stack with the fake IPv4/IPv6 and UDP on an in-memory IP link (no Ethernet).</summary>
internal sealed class UdpTestHost : IDisposable
{
    public static readonly Address V4Local = Address.Parse("10.0.0.2");
    public static readonly Address V4Peer = Address.Parse("10.0.0.1");
    public static readonly Address V4Other = Address.Parse("10.0.0.3");
    public static readonly Address V6Local = Address.Parse("fd00::2");
    public static readonly Address V6Peer = Address.Parse("fd00::1");

    public UdpTestHost(LinkCapabilities capabilities = LinkCapabilities.None, int mtu = 1500, string v4 = "10.0.0.2/24", string v6 = "fd00::2/64")
    {
        Stack = new NetworkStack(new StackOptions
        {
            NetworkProtocols = [FakeIPProtocol.V4, FakeIPProtocol.V6],
        });
        Link = new ChannelEndpoint(mtu, capabilities: capabilities);
        Nic = Stack.CreateNic(1, Link);
        Stack.AddAddress(1, AddressWithPrefix.Parse(v4));
        Stack.AddAddress(1, AddressWithPrefix.Parse(v6));
        IPv4 = (FakeIPProtocol)Stack.GetNetworkProtocol(NetworkProtocolNumber.IPv4)!;
        IPv6 = (FakeIPProtocol)Stack.GetNetworkProtocol(NetworkProtocolNumber.IPv6)!;
        Udp = UdpProtocol.Of(Stack);
    }

    public NetworkStack Stack { get; }

    public ChannelEndpoint Link { get; }

    public Nic Nic { get; }

    public FakeIPProtocol IPv4 { get; }

    public FakeIPProtocol IPv6 { get; }

    public UdpProtocol Udp { get; }

    public UdpStats Stats => Udp.Stats;

    public UdpEndpoint V4Endpoint() => Udp.CreateEndpoint(NetworkProtocolNumber.IPv4);

    public UdpEndpoint V6Endpoint() => Udp.CreateEndpoint(NetworkProtocolNumber.IPv6);

    public void Inject(byte[] packet) => Assert.True(Link.InjectFrame(packet));

    /// <summary>The next packet the stack wrote, as bytes (network header first), or null.</summary>
    public byte[]? TakeOutbound()
    {
        var p = Link.TryReadOutbound();
        if (p is null)
        {
            return null;
        }
        try
        {
            return p.ToArray();
        }
        finally
        {
            p.Release();
        }
    }

    public PacketBuffer? TakeOutboundPacket() => Link.TryReadOutbound();

    public void Dispose()
    {
        Stack.Dispose();
        Link.Dispose();
    }
}

/// <summary>Builds IPv4/IPv6 + UDP packets byte by byte, with every field under the test's control.</summary>
internal static class UdpPackets
{
    /// <summary>An IPv4 packet carrying a UDP datagram.</summary>
    /// <param name="checksum">The checksum field; null computes the right one.</param>
    /// <param name="lengthField">The UDP length field; null is 8 + payload.</param>
    /// <param name="padding">Zero bytes after the datagram, inside the IP payload.</param>
    public static byte[] V4(Address src, Address dst, ushort sport, ushort dport, ReadOnlySpan<byte> payload,
        ushort? checksum = null, int? lengthField = null, int padding = 0)
    {
        var udp = Datagram(src, dst, sport, dport, payload, checksum, lengthField, padding);
        var packet = new byte[20 + udp.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 17;
        src.WriteTo(packet.AsSpan(12));
        dst.WriteTo(packet.AsSpan(16));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum.Compute(packet.AsSpan(0, 20)));
        udp.CopyTo(packet, 20);
        return packet;
    }

    /// <summary>An IPv6 packet carrying a UDP datagram.</summary>
    public static byte[] V6(Address src, Address dst, ushort sport, ushort dport, ReadOnlySpan<byte> payload,
        ushort? checksum = null, int? lengthField = null, int padding = 0)
    {
        var udp = Datagram(src, dst, sport, dport, payload, checksum, lengthField, padding);
        var packet = new byte[40 + udp.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)udp.Length);
        packet[6] = 17;
        packet[7] = 64;
        src.WriteTo(packet.AsSpan(8));
        dst.WriteTo(packet.AsSpan(24));
        udp.CopyTo(packet, 40);
        return packet;
    }

    /// <summary>A packet for the family of <paramref name="src"/>.</summary>
    public static byte[] For(Address src, Address dst, ushort sport, ushort dport, ReadOnlySpan<byte> payload,
        ushort? checksum = null, int? lengthField = null, int padding = 0) => src.IsV4
        ? V4(src, dst, sport, dport, payload, checksum, lengthField, padding)
        : V6(src, dst, sport, dport, payload, checksum, lengthField, padding);

    /// <summary>The UDP header and payload (+ padding), checksum computed over the first length-field bytes unless given.</summary>
    public static byte[] Datagram(Address src, Address dst, ushort sport, ushort dport, ReadOnlySpan<byte> payload,
        ushort? checksum = null, int? lengthField = null, int padding = 0)
    {
        var udp = new byte[8 + payload.Length + padding];
        int length = lengthField ?? 8 + payload.Length;
        UdpHeader.Encode(udp, sport, dport, (ushort)length, 0);
        payload.CopyTo(udp.AsSpan(8));
        ushort value;
        if (checksum is { } c)
        {
            value = c;
        }
        else
        {
            int covered = Math.Clamp(length, 8, udp.Length);
            ushort sum = Checksum.Sum(udp.AsSpan(0, covered), Checksum.PseudoHeaderSum(src, dst, 17, length));
            value = Checksum.Finish(sum);
            value = value == 0 ? (ushort)0xFFFF : value;
        }
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(6), value);
        return udp;
    }
}
