namespace Netstack.Tests.Fuzz;

/// <summary>Which of the host's TCP endpoints a segment goes to.</summary>
internal enum TcpTarget : byte
{
    /// <summary>The listener on port 80 (and the connections it accepted).</summary>
    Listener,

    /// <summary>The connection the host opened to the peer's port 5555.</summary>
    Active,

    /// <summary>A port nobody listens on (answered with RST).</summary>
    Closed,

    /// <summary>The connection from the peer's port 6666 to port 81 the host accepted when it was made.</summary>
    Established,
}

/// <summary>Where a segment's sequence number comes from.</summary>
internal enum SeqBase : byte
{
    /// <summary>What the host expects next on the flow (its last ACK), when known.</summary>
    PeerNext,

    /// <summary>Anything.</summary>
    Random,
}

/// <summary>Where a segment's acknowledgment number comes from.</summary>
internal enum AckBase : byte
{
    /// <summary>The host's next sequence number on the flow, when known (acknowledges everything it sent).</summary>
    OurNext,

    /// <summary>Anything.</summary>
    Random,
}

/// <summary>
/// A TCP segment described relative to the flow's state, turned into bytes when it is injected: the generator
/// cannot know the host's initial sequence numbers (keyed hashes), so "acknowledge what it sent, plus 3" or
/// "the next byte it expects, minus 100" are resolved from the segments the host wrote. This is what lets
/// mutations reach established connections, out-of-order queues, SACK, FIN and RST handling instead of
/// being refused as out of window.
/// </summary>
internal sealed record TcpSpec(
    bool V6,
    int Source,
    ushort PeerPort,
    TcpTarget Target,
    byte Flags,
    SeqBase Seq,
    int SeqDelta,
    AckBase Ack,
    int AckDelta,
    uint RandomSeq,
    uint RandomAck,
    ushort Window,
    byte[] Options,
    bool EchoTimestamp,
    byte[] Payload,
    ushort Urgent,
    int Mutations,
    ulong MutationSeed,
    bool FixChecksum)
{
    public override string ToString() =>
        $"tcp{(V6 ? "6" : "4")} src{Source}:{PeerPort}->{Target} flags=0x{Flags:x2} seq={Seq}{SeqDelta:+#;-#;+0} ack={Ack}{AckDelta:+#;-#;+0} " +
        $"win={Window} opts={Convert.ToHexString(Options)} ts={EchoTimestamp} len={Payload.Length} mut={Mutations}";
}
