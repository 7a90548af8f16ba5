namespace Netstack.Transport.Tcp;

/// <summary>
/// The congestion window of one connection, in bytes. Loss recovery itself (what to retransmit, how much
/// is in flight) is the connection's job (RFC 6675); an algorithm only decides how the window grows on
/// acknowledgments and how far it falls on a congestion event or a retransmission timeout.
/// </summary>
internal abstract class CongestionControl
{
    protected CongestionControl(int mss, int initialWindow)
    {
        Mss = mss;
        Cwnd = initialWindow;
    }

    /// <summary>The algorithm.</summary>
    public abstract CongestionControlAlgorithm Algorithm { get; }

    /// <summary>Congestion window in bytes.</summary>
    public int Cwnd { get; protected set; }

    /// <summary>Slow-start threshold in bytes (int.MaxValue until the first congestion event).</summary>
    public int Ssthresh { get; protected set; } = int.MaxValue;

    /// <summary>The sender's maximum segment size, in bytes.</summary>
    public int Mss { get; set; }

    /// <summary>True while the window is below the slow-start threshold.</summary>
    public bool InSlowStart => Cwnd < Ssthresh;

    /// <summary>Creates the algorithm named by <paramref name="algorithm"/>.</summary>
    public static CongestionControl Create(CongestionControlAlgorithm algorithm, int mss, int initialWindow) => algorithm switch
    {
        CongestionControlAlgorithm.NewReno => new NewRenoCongestionControl(mss, initialWindow),
        _ => new CubicCongestionControl(mss, initialWindow),
    };

    /// <summary>Takes over the window and threshold of the algorithm a connection switches away from.</summary>
    public void InheritFrom(CongestionControl other)
    {
        Cwnd = other.Cwnd;
        Ssthresh = other.Ssthresh;
    }

    /// <summary>
    /// New data was acknowledged outside loss recovery. <paramref name="cwndLimited"/> says whether the
    /// sender was using its whole window: an application-limited sender does not grow it (RFC 7661 spirit,
    /// RFC 9438 section 5.8).
    /// </summary>
    public abstract void OnAck(int ackedBytes, long nowUs, long srttUs, bool cwndLimited);

    /// <summary>Loss was detected by duplicate ACKs or SACK: sets the threshold and the window to use in recovery.</summary>
    public abstract void OnCongestionEvent(long nowUs, int flightSize);

    /// <summary>Recovery ended with the recovery point acknowledged (RFC 6582 3.2 step 3, RFC 6675).</summary>
    public virtual void OnRecoveryExit(int flightSize) => Cwnd = Math.Max(Mss, Math.Min(Ssthresh, flightSize + Mss));

    /// <summary>
    /// The retransmission timer expired (RFC 5681 3.1 equation 4): window to one segment. Only the first
    /// expiry of a series sets the threshold; repeated timeouts of the same data keep it.
    /// </summary>
    public virtual void OnRetransmitTimeout(long nowUs, int flightSize, bool firstExpiry)
    {
        if (firstExpiry)
        {
            SetThresholdOnLoss(flightSize);
        }
        Cwnd = Mss;
    }

    /// <summary>RFC 5681 4.1: after an idle period longer than the RTO, restart from the initial window.</summary>
    public virtual void OnIdleRestart(int restartWindow) => Cwnd = Math.Min(Cwnd, restartWindow);

    /// <summary>Sets the threshold as the algorithm does on loss.</summary>
    protected abstract void SetThresholdOnLoss(int flightSize);

    /// <summary>Slow start (RFC 5681 3.1, counting bytes as Linux does); returns the acknowledged bytes left over for congestion avoidance.</summary>
    protected int SlowStart(int ackedBytes)
    {
        long grown = Math.Min((long)Cwnd + ackedBytes, Ssthresh);
        int used = (int)(grown - Cwnd);
        Cwnd = (int)Math.Min(grown, int.MaxValue / 2);
        return ackedBytes - used;
    }
}
