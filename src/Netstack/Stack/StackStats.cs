using Netstack.Stack.Counters;

namespace Netstack.Stack;

/// <summary>Stack-wide counters of the transport demultiplexer.</summary>
public sealed class StackStats : CounterGroup
{
    internal StackStats()
        : base("stack")
    {
        DroppedUnknownTransportProtocol = Create("drop_unknown_transport_protocol");
        DroppedMalformedTransportHeader = Create("drop_malformed_transport_header");
        DroppedNoEndpoint = Create("drop_no_endpoint");
        LoopbackPackets = Create("loopback_packets");
        HandlerFaults = Create("handler_faults");
        TimerFaults = Create("timer_faults");
    }

    /// <summary>Packets for a transport protocol the stack does not run.</summary>
    public Counter DroppedUnknownTransportProtocol { get; }

    /// <summary>Packets whose transport header is too short to hold the ports.</summary>
    public Counter DroppedMalformedTransportHeader { get; }

    /// <summary>Packets no endpoint wanted.</summary>
    public Counter DroppedNoEndpoint { get; }

    /// <summary>Packets looped back to this host.</summary>
    public Counter LoopbackPackets { get; }

    /// <summary>Unexpected exceptions caught on the receive path (bugs; the packet is dropped).</summary>
    public Counter HandlerFaults { get; }

    /// <summary>Unexpected exceptions caught in timer callbacks (bugs; the other timers keep running).</summary>
    public Counter TimerFaults { get; }
}
