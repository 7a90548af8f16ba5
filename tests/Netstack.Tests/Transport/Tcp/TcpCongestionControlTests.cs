using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

public class TcpCongestionControlTests
{
    private const int Mss = 1000;

    [Fact]
    public void NewRenoSlowStartsThenGrowsOneSegmentPerWindow()
    {
        var cc = new NewRenoCongestionControl(Mss, 10 * Mss);
        cc.OnAck(10 * Mss, 0, 0, cwndLimited: true);
        Assert.Equal(20 * Mss, cc.Cwnd);
        cc.OnCongestionEvent(0, 20 * Mss);
        Assert.Equal(10 * Mss, cc.Ssthresh);
        Assert.Equal(10 * Mss, cc.Cwnd);
        cc.OnAck(5 * Mss, 0, 0, cwndLimited: true);
        Assert.Equal(10 * Mss, cc.Cwnd);
        cc.OnAck(5 * Mss, 0, 0, cwndLimited: true);
        Assert.Equal(11 * Mss, cc.Cwnd);
        // Application-limited: no growth.
        cc.OnAck(100 * Mss, 0, 0, cwndLimited: false);
        Assert.Equal(11 * Mss, cc.Cwnd);
        cc.OnRetransmitTimeout(0, 8 * Mss, firstExpiry: true);
        Assert.Equal(Mss, cc.Cwnd);
        Assert.Equal(4 * Mss, cc.Ssthresh);
        cc.OnRetransmitTimeout(0, 8 * Mss, firstExpiry: false);
        Assert.Equal(4 * Mss, cc.Ssthresh);
    }

    [Theory]
    [InlineData(CongestionControlAlgorithm.Cubic)]
    [InlineData(CongestionControlAlgorithm.NewReno)]
    public void AnMssChangeKeepsTheWindowInSegmentsAndNeverBelowOneSegment(CongestionControlAlgorithm algorithm)
    {
        var cc = CongestionControl.Create(algorithm, 100, 1000);
        cc.OnRetransmitTimeout(0, 1000, firstExpiry: true);
        Assert.Equal(100, cc.Cwnd);
        Assert.Equal(algorithm == CongestionControlAlgorithm.Cubic ? 700 : 500, cc.Ssthresh);
        // The path MTU grew back: one segment of 100 bytes is one segment of 1,000.
        cc.Mss = 1000;
        Assert.Equal(1000, cc.Cwnd);
        Assert.Equal(algorithm == CongestionControlAlgorithm.Cubic ? 7000 : 5000, cc.Ssthresh);
        // And fell: ten segments stay ten segments.
        cc.OnAck(9000, 0, 0, cwndLimited: true);
        int before = cc.Cwnd;
        cc.Mss = 500;
        Assert.Equal(before / 2, cc.Cwnd);
        // A loss with almost nothing in flight: the threshold stays at two segments, the window at one.
        cc.OnCongestionEvent(0, 10);
        Assert.True(cc.Ssthresh >= 1000);
        if (algorithm == CongestionControlAlgorithm.NewReno)
        {
            Assert.Equal(1000, cc.Ssthresh);
        }
        Assert.True(cc.Cwnd >= 500);
        cc.OnRecoveryExit(0);
        Assert.Equal(500, cc.Cwnd);
        cc.OnIdleRestart(1);
        Assert.Equal(500, cc.Cwnd);
    }

    [Fact]
    public void ASwitchedAlgorithmTakesTheWindowOverInSegments()
    {
        var cubic = CongestionControl.Create(CongestionControlAlgorithm.Cubic, 100, 1000);
        var reno = CongestionControl.Create(CongestionControlAlgorithm.NewReno, 1000, 10_000);
        reno.InheritFrom(cubic);
        Assert.Equal(10_000, reno.Cwnd);
        Assert.Equal(int.MaxValue, reno.Ssthresh);
    }

    [Fact]
    public void CubicReducesByBetaAndRegrowsAlongTheCubicCurve()
    {
        var cc = new CubicCongestionControl(Mss, 100 * Mss);
        cc.OnCongestionEvent(0, 100 * Mss);
        Assert.Equal(70 * Mss, cc.Cwnd);
        Assert.Equal(70 * Mss, cc.Ssthresh);
        // K = cbrt((100 - 70) / 0.4) = 4.217 s: the window returns to W_max around then, not before. With a
        // 100 ms RTT the cubic curve is above the Reno-friendly estimate (which gains 0.53 segment per RTT).
        long rtt = 100_000;
        long now = 0;
        int windowAtK = 0;
        while (now < 8_000_000)
        {
            cc.OnAck(cc.Cwnd, now, rtt, cwndLimited: true);
            now += rtt;
            if (windowAtK == 0 && now >= 4_217_000)
            {
                windowAtK = cc.Cwnd;
            }
        }
        Assert.InRange(windowAtK / (double)Mss, 97, 103);
        Assert.True(cc.Cwnd > 110 * Mss, "convex growth beyond W_max");
    }

    [Fact]
    public void CubicOnAShortRttFollowsTheRenoFriendlyEstimate()
    {
        var cc = new CubicCongestionControl(Mss, 100 * Mss);
        cc.OnCongestionEvent(0, 100 * Mss);
        long now = 0;
        for (int i = 0; i < 100; i++)
        {
            cc.OnAck(cc.Cwnd, now, 1_000, cwndLimited: true);
            now += 1_000;
        }
        // 100 RTTs of 1 ms: W_est = 70 + 0.53 * 57 to reach 100, then 1 per RTT: about 143 segments.
        Assert.InRange(cc.Cwnd / (double)Mss, 135, 150);
    }

    [Fact]
    public void CubicFastConvergenceLowersTheTargetWhenTheMaximumFalls()
    {
        var cc = new CubicCongestionControl(Mss, 100 * Mss);
        cc.OnCongestionEvent(0, 100 * Mss);
        // A second loss below the last maximum: W_max = 70 * (1 + 0.7) / 2 = 59.5 segments.
        cc.OnCongestionEvent(0, 70 * Mss);
        Assert.Equal(49 * Mss, cc.Cwnd);
    }

    [Fact]
    public void AlgorithmsAreSelectableAndKeepTheWindowWhenSwitched()
    {
        var reno = CongestionControl.Create(CongestionControlAlgorithm.NewReno, Mss, 10 * Mss);
        Assert.Equal(CongestionControlAlgorithm.NewReno, reno.Algorithm);
        reno.OnCongestionEvent(0, 40 * Mss);
        var cubic = CongestionControl.Create(CongestionControlAlgorithm.Cubic, Mss, 10 * Mss);
        cubic.InheritFrom(reno);
        Assert.Equal(reno.Cwnd, cubic.Cwnd);
        Assert.Equal(reno.Ssthresh, cubic.Ssthresh);
    }
}
