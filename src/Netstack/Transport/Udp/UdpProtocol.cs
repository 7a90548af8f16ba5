using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Transport.Udp;

/// <summary>
/// UDP (RFC 768) for one <see cref="NetworkStack"/>: finds the ports for the demultiplexer, validates
/// datagrams (length field, checksum) and answers datagrams no socket wants with an ICMP port unreachable.
/// Sockets are <see cref="UdpEndpoint"/>s.
/// </summary>
public sealed class UdpProtocol : ITransportProtocol
{
    /// <summary>Largest UDP payload over IPv4: 65,535 minus the 20-byte IPv4 and 8-byte UDP headers.</summary>
    public const int MaxIPv4Payload = 65_507;

    /// <summary>Largest UDP payload over IPv6 (no jumbograms): 65,535 minus the 8-byte UDP header.</summary>
    public const int MaxIPv6Payload = 65_527;

    /// <summary>Creates the protocol for <paramref name="stack"/> (the stack's options call this through a factory).</summary>
    public UdpProtocol(NetworkStack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        Stack = stack;
    }

    /// <inheritdoc/>
    public byte Number => TransportProtocolNumber.Udp;

    /// <summary>The stack.</summary>
    public NetworkStack Stack { get; }

    /// <summary>Counters: datagrams in and out, drops by reason.</summary>
    public UdpStats Stats { get; } = new();

    /// <summary>The UDP protocol registered with <paramref name="stack"/>.</summary>
    /// <exception cref="InvalidOperationException">The stack does not run UDP.</exception>
    public static UdpProtocol Of(NetworkStack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return stack.GetTransportProtocol(TransportProtocolNumber.Udp) as UdpProtocol
            ?? throw new InvalidOperationException(
                "This stack does not run UDP: add UdpProtocol to StackOptions.TransportProtocols (StackDefaults has it).");
    }

    /// <summary>Creates an unbound endpoint of <paramref name="networkProtocol"/> (IPv4 or IPv6).</summary>
    public UdpEndpoint CreateEndpoint(ushort networkProtocol) => new(this, networkProtocol);

    /// <inheritdoc/>
    public bool TryParsePorts(PacketBuffer packet, out ushort sourcePort, out ushort destinationPort)
    {
        if (!packet.TryPeekData(UdpHeader.Size, out var bytes))
        {
            Stats.DroppedTruncatedHeader.Increment();
            sourcePort = 0;
            destinationPort = 0;
            return false;
        }
        UdpHeader.TryParse(bytes, out var header);
        sourcePort = header.SourcePort;
        destinationPort = header.DestinationPort;
        return true;
    }

    /// <summary>
    /// A datagram no socket matched: when it is valid (a corrupt datagram may not even be ours to answer) and
    /// was sent to a unicast address (RFC 1122 3.2.2: never an ICMP error about broadcast or multicast),
    /// asks the network layer for an ICMP port unreachable.
    /// </summary>
    public bool HandleUnmatched(Nic nic, PacketBuffer packet, in TransportEndpointId id)
    {
        if (!Validate(packet))
        {
            return false;
        }
        var destination = packet.DestinationAddress;
        if (destination.IsMulticast || nic.IsBroadcast(destination))
        {
            return false;
        }
        Stats.NoPort.Increment();
        return true;
    }

    /// <summary>
    /// Checks the UDP header at the front of the packet's data without consuming it: the length field must
    /// cover the header and fit the bytes received (RFC 768; extra bytes are padding and are left for the
    /// caller to trim), and the checksum must verify unless the link already did. A zero checksum means
    /// "none" on IPv4 and is invalid on IPv6 (RFC 8200 section 8.1). Counts the drop reason on failure.
    /// </summary>
    internal bool Validate(PacketBuffer packet)
    {
        if (!packet.TryPeekData(UdpHeader.Size, out var bytes))
        {
            Stats.DroppedTruncatedHeader.Increment();
            return false;
        }
        UdpHeader.TryParse(bytes, out var header);
        int length = header.Length;
        if (length < UdpHeader.Size || length > packet.DataSize)
        {
            Stats.DroppedBadLength.Increment();
            return false;
        }
        if (header.Checksum == 0)
        {
            if (packet.DestinationAddress.IsV6)
            {
                Stats.DroppedZeroChecksumIPv6.Increment();
                return false;
            }
            return true;
        }
        if (packet.RxChecksumValidated)
        {
            return true;
        }
        ushort pseudo = Checksum.PseudoHeaderSum(packet.SourceAddress, packet.DestinationAddress, Number, length);
        if (SumData(packet, length, pseudo) != 0xFFFF)
        {
            Stats.DroppedBadChecksum.Increment();
            return false;
        }
        return true;
    }

    // The folded sum of the first `length` data bytes, across views.
    private static ushort SumData(PacketBuffer packet, int length, ushort initial)
    {
        var sum = new ChecksumAccumulator(initial);
        foreach (var view in packet.Data)
        {
            int n = Math.Min(view.Length, length);
            sum.Add(view.Span[..n]);
            length -= n;
            if (length == 0)
            {
                break;
            }
        }
        return sum.Sum;
    }
}
