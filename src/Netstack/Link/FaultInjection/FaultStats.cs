using Netstack.Stack.Counters;

namespace Netstack.Link.FaultInjection;

/// <summary>What a <see cref="FaultInjectingEndpoint"/> did to one direction. Drops are counted by reason (<c>drop_*</c>).</summary>
public sealed class FaultStats : CounterGroup
{
    internal FaultStats(string name)
        : base(name)
    {
        Packets = Create("packets");
        Passed = Create("passed");
        DroppedRandom = Create("drop_random");
        DroppedTooLarge = Create("drop_too_large");
        DroppedQueueFull = Create("drop_queue_full");
        DroppedDelayLimit = Create("drop_delay_limit");
        DroppedDetached = Create("drop_detached");
        DroppedWriteError = Create("drop_write_error");
        DroppedHandlerFault = Create("drop_handler_fault");
        Duplicated = Create("duplicated");
        Corrupted = Create("corrupted");
        Reordered = Create("reordered");
        ReorderExpired = Create("reorder_expired");
        Delayed = Create("delayed");
        RateLimited = Create("rate_limited");
    }

    /// <summary>Packets that entered this direction.</summary>
    public Counter Packets { get; }

    /// <summary>Packets handed on (to the stack inbound, to the inner link outbound), duplicates included.</summary>
    public Counter Passed { get; }

    /// <summary>Packets lost on purpose (the drop probability).</summary>
    public Counter DroppedRandom { get; }

    /// <summary>Packets larger than the maximum packet size.</summary>
    public Counter DroppedTooLarge { get; }

    /// <summary>Packets dropped because the rate limiter's queue was full.</summary>
    public Counter DroppedQueueFull { get; }

    /// <summary>Packets dropped because the delay line was full.</summary>
    public Counter DroppedDelayLimit { get; }

    /// <summary>Held packets released unsent because the endpoint was detached or disposed.</summary>
    public Counter DroppedDetached { get; }

    /// <summary>Held outbound packets the inner link refused when their time came.</summary>
    public Counter DroppedWriteError { get; }

    /// <summary>Held inbound packets whose dispatcher threw (a bug above; the timer thread survives it).</summary>
    public Counter DroppedHandlerFault { get; }

    /// <summary>Packets sent twice (each counted once).</summary>
    public Counter Duplicated { get; }

    /// <summary>Packets with a bit flipped.</summary>
    public Counter Corrupted { get; }

    /// <summary>Held-back packets released after a later packet overtook them.</summary>
    public Counter Reordered { get; }

    /// <summary>Held-back packets released by the hold timeout because no packet came to overtake them.</summary>
    public Counter ReorderExpired { get; }

    /// <summary>Packets that waited in the delay line.</summary>
    public Counter Delayed { get; }

    /// <summary>Packets that waited for the rate limiter.</summary>
    public Counter RateLimited { get; }
}
