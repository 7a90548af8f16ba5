namespace Netstack.Transport.Tcp;

/// <summary>The states of a TCP connection (RFC 9293 section 3.3.2).</summary>
public enum TcpState
{
    /// <summary>No connection (never opened, or finished).</summary>
    Closed,
    /// <summary>Waiting for a connection request (a listener).</summary>
    Listen,
    /// <summary>A SYN was sent; waiting for the peer's SYN.</summary>
    SynSent,
    /// <summary>A SYN was received and answered; waiting for the acknowledgment of ours.</summary>
    SynReceived,
    /// <summary>Open: data flows both ways.</summary>
    Established,
    /// <summary>We closed (FIN sent); waiting for its acknowledgment or the peer's FIN.</summary>
    FinWait1,
    /// <summary>Our FIN was acknowledged; waiting for the peer's FIN.</summary>
    FinWait2,
    /// <summary>The peer closed; waiting for the application to close.</summary>
    CloseWait,
    /// <summary>Both sides closed at once; waiting for the acknowledgment of our FIN.</summary>
    Closing,
    /// <summary>The peer closed, then we did; waiting for the acknowledgment of our FIN.</summary>
    LastAck,
    /// <summary>Both sides closed; waiting 2*MSL so stray segments of this connection die out.</summary>
    TimeWait,
}
