using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>The pure pieces: sequence arithmetic, header and options, SipHash, cookies, RTT.</summary>
public class TcpPrimitivesTests
{
    [Fact]
    public void SequenceNumbersCompareAcrossTheWrap()
    {
        var a = new SeqNumber(0xFFFF_FFF0);
        var b = a + 0x20;
        Assert.Equal(0x10u, b.Value);
        Assert.True(a.LessThan(b));
        Assert.True(b.GreaterThan(a));
        Assert.Equal(0x20, b - a);
        Assert.Equal(-0x20, a - b);
        Assert.True((a + 5).InWindow(a, 0x20));
        Assert.False(b.InWindow(a, 0x20));
        Assert.True((a + 0x1F).InRange(a, b));
        Assert.Equal(b, SeqNumber.Max(a, b));
        Assert.Equal(a, SeqNumber.Min(a, b));
    }

    [Fact]
    public void HeaderRoundTripsAndRejectsBadOffsets()
    {
        var bytes = new byte[32];
        TcpHeader.Encode(bytes, new TcpFields(1234, 80, 0xDEADBEEF, 42, TcpFlags.Syn | TcpFlags.Ack, 1000, 7), 32);
        Assert.True(TcpHeader.TryParse(bytes, out var h));
        Assert.Equal(1234, h.SourcePort);
        Assert.Equal(80, h.DestinationPort);
        Assert.Equal(0xDEADBEEFu, h.SequenceNumber);
        Assert.Equal(42u, h.AcknowledgmentNumber);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, h.Flags);
        Assert.Equal(1000, h.WindowSize);
        Assert.Equal(7, h.UrgentPointer);
        Assert.Equal(32, h.HeaderLength);
        Assert.Equal(12, h.Options.Length);
        Assert.False(TcpHeader.TryParse(bytes.AsSpan(0, 19), out _));
        Assert.False(TcpHeader.TryParse(bytes.AsSpan(0, 24), out _), "data offset 8 is past the end");
        bytes[12] = 0x40;
        Assert.False(TcpHeader.TryParse(bytes, out _), "data offset 4 is too small");
        Assert.Throws<ArgumentOutOfRangeException>(() => TcpHeader.Encode(bytes, default, 22));
    }

    [Fact]
    public void OptionsRoundTrip()
    {
        var buffer = new byte[40];
        int n = TcpOptionWriter.WriteSyn(buffer, 1460, 7, true, true, 111, 222);
        Assert.Equal(TcpOptionWriter.SynLength(true, true, true), n);
        Assert.Equal(0, n % 4);
        var o = TcpOptions.Parse(buffer.AsSpan(0, n));
        Assert.True(o.HasMss && o.Mss == 1460);
        Assert.True(o.HasWindowScale && o.WindowScale == 7);
        Assert.True(o.SackPermitted);
        Assert.True(o.HasTimestamps && o.TimestampValue == 111 && o.TimestampEcho == 222);

        n = TcpOptionWriter.WriteTimestamps(buffer, 5, 6);
        n += TcpOptionWriter.WriteSack(buffer.AsSpan(n), [new TcpSackBlock(10, 20), new TcpSackBlock(30, 40), new TcpSackBlock(50, 60)]);
        Assert.Equal(40, n);
        o = TcpOptions.Parse(buffer.AsSpan(0, n));
        Assert.Equal(3, o.SackBlockCount);
        Assert.Equal(new TcpSackBlock(30, 40), o.SackBlocks[1]);
        Assert.Equal(5u, o.TimestampValue);
        foreach (var (ws, sack, ts) in new[] { (false, false, false), (true, false, false), (false, true, false), (false, false, true), (true, true, false) })
        {
            int len = TcpOptionWriter.WriteSyn(buffer, 536, ws ? 3 : -1, sack, ts, 1, 0);
            Assert.Equal(TcpOptionWriter.SynLength(ws, sack, ts), len);
            Assert.Equal(0, len % 4);
            var p = TcpOptions.Parse(buffer.AsSpan(0, len));
            Assert.Equal(ws, p.HasWindowScale);
            Assert.Equal(sack, p.SackPermitted);
            Assert.Equal(ts, p.HasTimestamps);
        }
    }

    [Fact]
    public void MalformedOptionsStopParsingWithoutThrowing()
    {
        // MSS, then an option whose length runs past the end.
        var o = TcpOptions.Parse([2, 4, 5, 180, 8, 30, 1, 2]);
        Assert.True(o.HasMss);
        Assert.False(o.HasTimestamps);
        // Length 0 and 1 are impossible.
        Assert.False(TcpOptions.Parse([3, 0, 7]).HasWindowScale);
        Assert.False(TcpOptions.Parse([3, 1, 7]).HasWindowScale);
        // Wrong length for its kind: ignored, parsing goes on.
        o = TcpOptions.Parse([2, 5, 1, 1, 1, 4, 2, 0]);
        Assert.False(o.HasMss);
        Assert.True(o.SackPermitted);
        // End of list stops.
        Assert.False(TcpOptions.Parse([0, 4, 2]).SackPermitted);
        // A lone kind byte at the end.
        Assert.False(TcpOptions.Parse([1, 1, 1, 2]).HasMss);
        // SACK with a partial block is ignored.
        Assert.Equal(0, TcpOptions.Parse([5, 6, 0, 0, 0, 1]).SackBlockCount);
    }

    [Fact]
    public void SipHashMatchesTheReferenceVector()
    {
        var key = new SipHash(0x0706050403020100UL, 0x0F0E0D0C0B0A0908UL);
        var message = new byte[15];
        for (int i = 0; i < message.Length; i++)
        {
            message[i] = (byte)i;
        }
        Assert.Equal(0xa129ca6149be45e5UL, key.Hash(message));
        Assert.Equal(0x726fdb47dd0e0e31UL, key.Hash([]));
    }

    [Fact]
    public void CookiesVerifyOnlyForTheirConnectionAndTime()
    {
        var secrets = new TcpSecrets();
        var id = new TransportEndpointId(80, Address.V4(10, 0, 0, 1), 5555, Address.V4(10, 0, 0, 2));
        uint cookie = SynCookies.Make(secrets, id, 1000, 10_000, 1460, out int mss);
        Assert.Equal(1460, mss);
        Assert.True(SynCookies.Check(secrets, id, 1000, cookie, 10_000 + 100_000, out int back));
        Assert.Equal(1460, back);
        Assert.False(SynCookies.Check(secrets, id, 1001, cookie, 10_000, out _));
        Assert.False(SynCookies.Check(secrets, id with { RemotePort = 5556 }, 1000, cookie, 10_000, out _));
        Assert.False(SynCookies.Check(secrets, id, 1000, cookie + 1, 10_000, out _));
        Assert.False(SynCookies.Check(secrets, id, 1000, cookie, 10_000 + 200_000, out _));
        SynCookies.Make(secrets, id, 1, 0, 600, out mss);
        Assert.Equal(536, mss);
        uint ts = SynCookies.EncodeTimestamp(1_000_000, 9, true);
        Assert.True(ts <= 1_000_000);
        SynCookies.DecodeTimestamp(ts, out int ws, out bool sack);
        Assert.Equal(9, ws);
        Assert.True(sack);
        SynCookies.DecodeTimestamp(SynCookies.EncodeTimestamp(77, -1, false), out ws, out sack);
        Assert.Equal(-1, ws);
        Assert.False(sack);
    }

    [Fact]
    public void InitialSequenceNumbersDifferPerConnectionAndAdvanceWithTime()
    {
        var secrets = new TcpSecrets();
        var a = new TransportEndpointId(1, Address.V4(1, 1, 1, 1), 2, Address.V4(2, 2, 2, 2));
        var b = a with { LocalPort = 3 };
        Assert.NotEqual(secrets.InitialSequenceNumber(a, 0), secrets.InitialSequenceNumber(b, 0));
        Assert.Equal(250u, secrets.InitialSequenceNumber(a, 1000) - secrets.InitialSequenceNumber(a, 0));
    }

    [Fact]
    public void RttEstimatorFollowsRfc6298()
    {
        var rtt = new RttEstimator(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(1));
        Assert.Equal(1_000_000, rtt.RtoUs);
        rtt.AddSample(100_000);
        Assert.Equal(100_000, rtt.SmoothedUs);
        Assert.Equal(50_000, rtt.VarianceUs);
        Assert.Equal(300_000, rtt.RtoUs);
        rtt.AddSample(200_000);
        // RTTVAR = 3/4 * 50000 + 1/4 * |100000 - 200000| = 62500; SRTT = 7/8 * 100000 + 1/8 * 200000 = 112500.
        Assert.Equal(62_500, rtt.VarianceUs);
        Assert.Equal(112_500, rtt.SmoothedUs);
        Assert.Equal(362_500, rtt.RtoUs);
        rtt.BackOff();
        rtt.BackOff();
        Assert.Equal(4 * 362_500, rtt.RtoUs);
        rtt.ResetBackoff();
        for (int i = 0; i < 100; i++)
        {
            rtt.AddSample(50);
        }
        // SRTT is tiny; the 200 ms margin keeps the timeout above it.
        Assert.InRange(rtt.RtoUs, 200_000, 201_000);
        for (int i = 0; i < 40; i++)
        {
            rtt.BackOff();
        }
        Assert.Equal(120_000_000, rtt.RtoUs);
    }
}
