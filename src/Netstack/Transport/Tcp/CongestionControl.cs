namespace Netstack.Transport.Tcp;

/// <summary>
/// The congestion window of one connection, in bytes. Loss recovery itself (what to retransmit, how much
/// is in flight) is the connection's job (RFC 6675); an algorithm only decides how the window grows on
/// acknowledgments and how far it falls on a congestion event or a retransmission timeout.
/// </summary>
internal abstract class CongestionControl
{
    private int _cwnd;
    private int _ssthresh = int.MaxValue;
    private int _mss;

    protected CongestionControl(int mss, int initialWindow)
    {
        _mss = mss;
        Cwnd = initialWindow;
    }

    /// <summary>The algorithm.</summary>
    public abstract CongestionControlAlgorithm Algorithm { get; }

    /// <summary>Congestion window in bytes, never below one segment (RFC 5681 3.1: the loss window is one SMSS).</summary>
    public int Cwnd
    {
        get => _cwnd;
        protected set => _cwnd = Math.Max(value, _mss);
    }

    /// <summary>Slow-start threshold in bytes (int.MaxValue until the first congestion event), never below two segments (RFC 5681 equation 4).</summary>
    public int Ssthresh
    {
        get => _ssthresh;
        protected set => _ssthresh = value == int.MaxValue ? value : Math.Max(value, 2 * _mss);
    }

    /// <summary>
    /// The sender's maximum segment size, in bytes. When it changes (path MTU, route, the peer's MSS) the
    /// window and threshold keep their size in segments, as Linux counts them: a window kept in bytes while
    /// the MSS grew could fall below one segment, and a sender whose window cannot hold one segment with
    /// nothing in flight would never send again.
    /// </summary>
    public int Mss
    {
        get => _mss;
        set
        {
            int old = _mss;
            if (value == old)
            {
                return;
            }
            _mss = value;
            Cwnd = Rescale(_cwnd, old, value);
            if (_ssthresh != int.MaxValue)
            {
                Ssthresh = Rescale(_ssthresh, old, value);
            }
            OnMssChanged(old, value);
        }
    }

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
        Cwnd = Rescale(other.Cwnd, other.Mss, Mss);
        Ssthresh = other.Ssthresh == int.MaxValue ? int.MaxValue : Rescale(other.Ssthresh, other.Mss, Mss);
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

    /// <summary>The MSS changed from <paramref name="oldMss"/> to <paramref name="newMss"/>: byte counts the algorithm keeps follow it.</summary>
    protected virtual void OnMssChanged(int oldMss, int newMss)
    {
    }

    /// <summary>A byte count of <paramref name="oldMss"/>-sized segments as the same number of <paramref name="newMss"/>-sized ones.</summary>
    protected static int Rescale(long bytes, int oldMss, int newMss) => (int)Math.Min(bytes * newMss / oldMss, int.MaxValue / 2);

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
