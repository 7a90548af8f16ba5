using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Stack;

namespace Netstack.Tests.Network.IPv4;

/// <summary>A UDP-shaped transport for network-layer tests: ports from the first 4 bytes, port unreachable when nothing matches.</summary>
internal sealed class FakeUdpProtocol(byte number = 17) : ITransportProtocol
{
    public byte Number { get; } = number;

    public int Unmatched;

    public bool TryParsePorts(PacketBuffer packet, out ushort sourcePort, out ushort destinationPort)
    {
        if (!packet.TryPeekData(8, out var b))
        {
            sourcePort = destinationPort = 0;
            return false;
        }
        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(b);
        destinationPort = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
        return true;
    }

    public bool HandleUnmatched(Nic nic, PacketBuffer packet, in TransportEndpointId id)
    {
        Interlocked.Increment(ref Unmatched);
        return true;
    }
}

/// <summary>Records what the stack hands an endpoint.</summary>
internal sealed class RecordingEndpoint : ITransportEndpoint
{
    private readonly Lock _gate = new();
    private readonly List<Received> _packets = new();
    private readonly List<(TransportEndpointId Id, TransportError Error)> _errors = new();

    public IReadOnlyList<Received> Packets
    {
        get
        {
            lock (_gate)
            {
                return _packets.ToArray();
            }
        }
    }

    public IReadOnlyList<(TransportEndpointId Id, TransportError Error)> Errors
    {
        get
        {
            lock (_gate)
            {
                return _errors.ToArray();
            }
        }
    }

    public void HandlePacket(Nic nic, in TransportEndpointId id, PacketBuffer packet)
    {
        lock (_gate)
        {
            _packets.Add(new Received(id, packet.DataToArray(), packet.SourceAddress, packet.DestinationAddress,
                packet.NetworkHeader.ToArray(), packet.Views.Length));
        }
    }

    public void HandleError(in TransportEndpointId id, TransportError error)
    {
        lock (_gate)
        {
            _errors.Add((id, error));
        }
    }

    internal sealed record Received(TransportEndpointId Id, byte[] Data, Address Source, Address Destination, byte[] NetworkHeader, int ViewCount);
}
