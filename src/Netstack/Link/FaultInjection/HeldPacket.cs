using Netstack.Buffers;

namespace Netstack.Link.FaultInjection;

/// <summary>
/// A packet waiting in a <see cref="FaultLane"/>, holding one reference of its own: <paramref name="Due"/>
/// is when it is handed on, <paramref name="Departure"/> when the rate limiter let it go (times in ticks of
/// the endpoint's clock); <paramref name="Protocol"/> is the EtherType of an inbound packet.
/// </summary>
internal readonly record struct HeldPacket(PacketBuffer Packet, ushort Protocol, long Due, long Departure);
