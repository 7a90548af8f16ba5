namespace Netstack.Transport.Tcp;

/// <summary>
/// NewReno (RFC 5681, RFC 6582): slow start, then one segment per window of acknowledged bytes;
/// the threshold halves the flight size on loss.
/// </summary>
internal sealed class NewRenoCongestionControl : CongestionControl
{
    private long _bytesAckedInWindow;

    public NewRenoCongestionControl(int mss, int initialWindow)
        : base(mss, initialWindow)
    {
    }

    public override CongestionControlAlgorithm Algorithm => CongestionControlAlgorithm.NewReno;

    public override void OnAck(int ackedBytes, long nowUs, long srttUs, bool cwndLimited)
    {
        if (!cwndLimited)
        {
            return;
        }
        if (InSlowStart)
        {
            ackedBytes = SlowStart(ackedBytes);
            if (ackedBytes == 0)
            {
                return;
            }
        }
        // Congestion avoidance with appropriate byte counting (RFC 3465): one MSS per cwnd acknowledged.
        _bytesAckedInWindow += ackedBytes;
        if (_bytesAckedInWindow >= Cwnd)
        {
            _bytesAckedInWindow -= Cwnd;
            Cwnd = Math.Min(Cwnd + Mss, int.MaxValue / 2);
        }
    }

    public override void OnCongestionEvent(long nowUs, int flightSize)
    {
        SetThresholdOnLoss(flightSize);
        Cwnd = Ssthresh;
        _bytesAckedInWindow = 0;
    }

    protected override void OnMssChanged(int oldMss, int newMss) => _bytesAckedInWindow = Rescale(_bytesAckedInWindow, oldMss, newMss);

    protected override void SetThresholdOnLoss(int flightSize) => Ssthresh = Math.Max(flightSize / 2, 2 * Mss);
}
