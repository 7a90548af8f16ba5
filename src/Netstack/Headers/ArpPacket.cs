using System.Buffers.Binary;

namespace Netstack.Headers;

/// <summary>
/// An ARP packet (RFC 826) for Ethernet and IPv4, read and written in place. <see cref="TryParse"/> checks
/// there are <see cref="Size"/> bytes; the address accessors read the Ethernet/IPv4 layout, which the
/// caller confirms with <see cref="IsEthernetIPv4"/> before trusting them.
/// </summary>
public readonly ref struct ArpPacket
{
    /// <summary>Length of an Ethernet/IPv4 ARP packet.</summary>
    public const int Size = 28;

    /// <summary>Hardware type of Ethernet.</summary>
    public const ushort HardwareTypeEthernet = 1;

    /// <summary>Opcode of a request.</summary>
    public const ushort OpRequest = 1;

    /// <summary>Opcode of a reply.</summary>
    public const ushort OpReply = 2;

    private readonly Span<byte> _bytes;

    private ArpPacket(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Views the first <see cref="Size"/> bytes; false when there are fewer.</summary>
    public static bool TryParse(Span<byte> bytes, out ArpPacket packet)
    {
        if (bytes.Length < Size)
        {
            packet = default;
            return false;
        }
        packet = new ArpPacket(bytes[..Size]);
        return true;
    }

    /// <summary>Hardware type (1 for Ethernet).</summary>
    public ushort HardwareType => BinaryPrimitives.ReadUInt16BigEndian(_bytes);

    /// <summary>Protocol type (the EtherType, 0x0800 for IPv4).</summary>
    public ushort ProtocolType => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);

    /// <summary>Hardware address length (6 for Ethernet).</summary>
    public byte HardwareAddressLength => _bytes[4];

    /// <summary>Protocol address length (4 for IPv4).</summary>
    public byte ProtocolAddressLength => _bytes[5];

    /// <summary>Opcode (<see cref="OpRequest"/> or <see cref="OpReply"/>).</summary>
    public ushort Opcode => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);

    /// <summary>True for Ethernet hardware addresses and IPv4 protocol addresses of the right lengths.</summary>
    public bool IsEthernetIPv4 => HardwareType == HardwareTypeEthernet && HardwareAddressLength == LinkAddress.Size
        && ProtocolType == NetworkProtocolNumber.IPv4 && ProtocolAddressLength == 4;

    /// <summary>Sender hardware address.</summary>
    public LinkAddress SenderHardwareAddress => LinkAddress.FromBytes(_bytes[8..]);

    /// <summary>Sender protocol address.</summary>
    public Address SenderProtocolAddress => Address.ReadV4(_bytes[14..]);

    /// <summary>Target hardware address.</summary>
    public LinkAddress TargetHardwareAddress => LinkAddress.FromBytes(_bytes[18..]);

    /// <summary>Target protocol address.</summary>
    public Address TargetProtocolAddress => Address.ReadV4(_bytes[24..]);

    /// <summary>Writes an Ethernet/IPv4 ARP packet into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public static void Encode(Span<byte> destination, ushort opcode, LinkAddress senderHardware, Address senderProtocol,
        LinkAddress targetHardware, Address targetProtocol)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, HardwareTypeEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], NetworkProtocolNumber.IPv4);
        destination[4] = LinkAddress.Size;
        destination[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], opcode);
        senderHardware.WriteTo(destination[8..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[14..], senderProtocol.V4Value);
        targetHardware.WriteTo(destination[18..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], targetProtocol.V4Value);
    }
}
