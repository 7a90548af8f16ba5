namespace Netstack.Transport.Tcp;

/// <summary>
/// CUBIC (RFC 9438): after a congestion event the window follows W(t) = C (t - K)^3 + W_max, concave up to
/// the previous maximum and convex beyond it, never below what Reno would have reached (the Reno-friendly
/// region, section 4.3). Windows are computed in segments and kept in bytes.
/// </summary>
internal sealed class CubicCongestionControl : CongestionControl
{
    private const double C = 0.4;
    private const double Beta = 0.7;
    private const double AlphaReno = 3 * (1 - Beta) / (1 + Beta);

    private double _wMax;          // segments
    private double _wLastMax;      // segments, for fast convergence (4.7)
    private double _k;             // seconds
    private double _cwndEpoch;     // segments at the start of the epoch
    private double _wEst;          // segments, Reno-friendly estimate
    private long _epochStartUs = -1;
    private double _pendingGrowth; // fractional segments accumulated

    public CubicCongestionControl(int mss, int initialWindow)
        : base(mss, initialWindow)
    {
    }

    public override CongestionControlAlgorithm Algorithm => CongestionControlAlgorithm.Cubic;

    public override void OnAck(int ackedBytes, long nowUs, long srttUs, bool cwndLimited)
    {
        if (!cwndLimited)
        {
            // Section 5.8: an application-limited flow does not grow its window, and the epoch restarts
            // so the idle time does not count as time in congestion avoidance.
            _epochStartUs = -1;
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
        double cwnd = (double)Cwnd / Mss;
        double acked = (double)ackedBytes / Mss;
        if (_epochStartUs < 0)
        {
            _epochStartUs = nowUs;
            _cwndEpoch = cwnd;
            _wEst = cwnd;
            if (cwnd < _wMax)
            {
                _k = Math.Cbrt((_wMax - cwnd) / C);
            }
            else
            {
                _k = 0;
                _wMax = cwnd;
            }
        }
        // Section 4.3: Reno-friendly estimate, alpha grows to 1 once W_est passes W_max.
        double alpha = _wEst >= _wMax ? 1 : AlphaReno;
        _wEst += alpha * acked / cwnd;
        double t = (nowUs - _epochStartUs + srttUs) / 1e6;
        double wCubic = C * Math.Pow(t - _k, 3) + _wMax;
        double growth;
        if (wCubic < _wEst)
        {
            // Section 4.3: in the Reno-friendly region the window is W_est.
            growth = _wEst - cwnd;
        }
        else
        {
            // Sections 4.4 and 4.5: move towards the target, which is capped at 1.5 cwnd.
            double target = Math.Clamp(wCubic, cwnd, 1.5 * cwnd);
            growth = (target - cwnd) * acked / cwnd;
        }
        _pendingGrowth += Math.Max(growth, 0);
        if (_pendingGrowth >= 1.0 / Mss)
        {
            int bytes = (int)Math.Min(_pendingGrowth * Mss, int.MaxValue / 4);
            _pendingGrowth -= (double)bytes / Mss;
            Cwnd = (int)Math.Min((long)Cwnd + bytes, int.MaxValue / 2);
        }
    }

    public override void OnCongestionEvent(long nowUs, int flightSize)
    {
        SetThresholdOnLoss(flightSize);
        Cwnd = Ssthresh;
    }

    public override void OnRetransmitTimeout(long nowUs, int flightSize, bool firstExpiry)
    {
        base.OnRetransmitTimeout(nowUs, flightSize, firstExpiry);
        _epochStartUs = -1;
    }

    protected override void SetThresholdOnLoss(int flightSize)
    {
        double cwnd = (double)Cwnd / Mss;
        _epochStartUs = -1;
        _pendingGrowth = 0;
        // Section 4.7: fast convergence releases bandwidth to new flows when the maximum keeps falling.
        _wMax = cwnd < _wLastMax ? cwnd * (1 + Beta) / 2 : cwnd;
        _wLastMax = cwnd;
        Ssthresh = Math.Max((int)(Cwnd * Beta), 2 * Mss);
    }
}
