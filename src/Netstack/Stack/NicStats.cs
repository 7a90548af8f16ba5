using Netstack.Stack.Counters;

namespace Netstack.Stack;

/// <summary>Counters of one NIC.</summary>
public sealed class NicStats : CounterGroup
{
    internal NicStats(string name)
        : base(name)
    {
        PacketsReceived = Create("packets_received");
        BytesReceived = Create("bytes_received");
        PacketsSent = Create("packets_sent");
        BytesSent = Create("bytes_sent");
        DroppedDisabled = Create("drop_nic_disabled");
        DroppedUnknownNetworkProtocol = Create("drop_unknown_network_protocol");
        DroppedHandlerFault = Create("drop_handler_fault");
        WriteErrors = Create("write_errors");
        ResolutionFailures = Create("neighbor_resolution_failed");
    }

    /// <summary>Packets delivered by the link.</summary>
    public Counter PacketsReceived { get; }

    /// <summary>Bytes delivered by the link (network layer and up).</summary>
    public Counter BytesReceived { get; }

    /// <summary>Packets the link accepted for sending.</summary>
    public Counter PacketsSent { get; }

    /// <summary>Bytes the link accepted for sending (network layer and up).</summary>
    public Counter BytesSent { get; }

    /// <summary>Packets dropped because the NIC is disabled.</summary>
    public Counter DroppedDisabled { get; }

    /// <summary>Packets of a network protocol the stack does not run.</summary>
    public Counter DroppedUnknownNetworkProtocol { get; }

    /// <summary>Packets whose handler failed unexpectedly (a bug; the packet is dropped, the NIC keeps running).</summary>
    public Counter DroppedHandlerFault { get; }

    /// <summary>Packets the link refused to send.</summary>
    public Counter WriteErrors { get; }

    /// <summary>Packets dropped because neighbour resolution failed or its queue overflowed.</summary>
    public Counter ResolutionFailures { get; }
}
