using Netstack.Link.FaultInjection;

namespace Netstack.Tests.Link.FaultInjection;

/// <summary>The <c>--faults</c> spec string: what it means, how it prints, and every error it gives.</summary>
public class FaultSpecTests
{
    [Fact]
    public void TheDocumentedExampleMeansWhatItSays()
    {
        var o = FaultOptions.Parse("drop=5%,dup=1%,reorder=2%,delay=10ms±5ms,corrupt=0.1%,rate=100mbit,seed=42");
        var expected = new DirectionFaults
        {
            DropProbability = 0.05,
            DuplicateProbability = 0.01,
            ReorderProbability = 0.02,
            Delay = TimeSpan.FromMilliseconds(10),
            Jitter = TimeSpan.FromMilliseconds(5),
            CorruptProbability = 0.001,
            RateBitsPerSecond = 100_000_000,
        };
        Assert.Equal(expected, o.Inbound);
        Assert.Equal(expected, o.Outbound);
        Assert.Equal(42UL, o.Seed);
        Assert.True(o.IsActive);
    }

    [Fact]
    public void EveryKeyAndUnitIsRead()
    {
        var o = FaultOptions.Parse(
            " DUPLICATE=50% , reorder-hold=1.5s, delay=250us+-100us, rate=1.5gbit/s, burst=64kb, limit=20, " +
            "delay-limit=30, max-size=1400, seed=0xFF ");
        var d = o.Inbound;
        Assert.Equal(0.5, d.DuplicateProbability);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), d.ReorderHold);
        Assert.Equal(TimeSpan.FromMicroseconds(250), d.Delay);
        Assert.Equal(TimeSpan.FromMicroseconds(100), d.Jitter);
        Assert.Equal(1_500_000_000, d.RateBitsPerSecond);
        Assert.Equal(65536, d.BurstBytes);
        Assert.Equal(20, d.QueueLimit);
        Assert.Equal(30, d.DelayLimit);
        Assert.Equal(1400, d.MaxPacketSize);
        Assert.Equal(255UL, o.Seed);
        Assert.Equal(TimeSpan.FromMilliseconds(3), FaultOptions.Parse("delay=3ms~2ms").Inbound.Delay);
        Assert.Equal(TimeSpan.FromTicks(5), FaultOptions.Parse("delay=500ns").Inbound.Delay);
        Assert.Equal(TimeSpan.FromSeconds(2), FaultOptions.Parse("delay=2s,jitter=1µs").Inbound.Delay);
        Assert.Equal(9600, FaultOptions.Parse("rate=9.6kbit").Inbound.RateBitsPerSecond);
        Assert.Equal(2L << 20, FaultOptions.Parse("burst=2m").Inbound.BurstBytes);
        Assert.Equal(0, FaultOptions.Parse("rate=0").Inbound.RateBitsPerSecond);
    }

    [Fact]
    public void DirectionPrefixesOverrideTheSharedSettingWhereverTheyAppear()
    {
        var o = FaultOptions.Parse("out.drop=1%,drop=5%,in.delay=20ms,jitter=1ms,delay=2ms");
        Assert.Equal(0.05, o.Inbound.DropProbability);
        Assert.Equal(0.01, o.Outbound.DropProbability);
        Assert.Equal(TimeSpan.FromMilliseconds(20), o.Inbound.Delay);
        Assert.Equal(TimeSpan.FromMilliseconds(2), o.Outbound.Delay);
        Assert.Equal(TimeSpan.FromMilliseconds(1), o.Inbound.Jitter);
        Assert.Equal(TimeSpan.FromMilliseconds(1), o.Outbound.Jitter);
    }

    [Fact]
    public void AnEmptySpecMeansNoFaults()
    {
        Assert.Equal(FaultOptions.None, FaultOptions.Parse(""));
        Assert.Equal(FaultOptions.None, FaultOptions.Parse(" , "));
        Assert.False(FaultOptions.Parse("").IsActive);
        Assert.Equal("", FaultOptions.None.ToString());
    }

    [Theory]
    [InlineData("drop=5%,dup=1%,reorder=2%,corrupt=0.1%,delay=10ms±5ms,rate=100mbit,seed=42")]
    [InlineData("in.drop=5%,out.drop=3%,out.reorder-hold=20ms,in.delay=250us,rate=1500kbit,burst=64kb,limit=10,delay-limit=99,max-size=1400")]
    [InlineData("out.corrupt=100%,in.delay=1s±500ms,out.delay=1.5us,in.rate=1234bit,seed=18446744073709551615")]
    public void ToStringIsASpecThatReadsBackTheSame(string spec)
    {
        var o = FaultOptions.Parse(spec);
        Assert.Equal(o, FaultOptions.Parse(o.ToString()));
        Assert.Equal(spec, o.ToString());
    }

    [Theory]
    [InlineData("drop", "drop: expected key=value; known keys: drop, dup, reorder, reorder-hold, corrupt, delay, jitter, rate, burst, limit, delay-limit, max-size (each may take an in. or out. prefix), seed.")]
    [InlineData("=5%", "=5%: expected key=value; known keys: drop, dup, reorder, reorder-hold, corrupt, delay, jitter, rate, burst, limit, delay-limit, max-size (each may take an in. or out. prefix), seed.")]
    [InlineData("loss=5%", "loss=5%: unknown key 'loss'; known keys: drop, dup, reorder, reorder-hold, corrupt, delay, jitter, rate, burst, limit, delay-limit, max-size (each may take an in. or out. prefix), seed.")]
    [InlineData("up.drop=5%", "up.drop=5%: unknown key 'up.drop'; known keys: drop, dup, reorder, reorder-hold, corrupt, delay, jitter, rate, burst, limit, delay-limit, max-size (each may take an in. or out. prefix), seed.")]
    [InlineData("drop=5", "drop=5: not a percentage (the % is required); allowed 0%..100% (for example drop=5%).")]
    [InlineData("dup=abc%", "dup=abc%: not a percentage; allowed 0%..100% (for example dup=5%).")]
    [InlineData("reorder=-1%", "reorder=-1%: not a percentage; allowed 0%..100% (for example reorder=5%).")]
    [InlineData("corrupt=101%", "corrupt=101%: out of range; allowed 0%..100% (for example corrupt=5%).")]
    [InlineData("in.drop=NaN%", "in.drop=NaN%: not a percentage; allowed 0%..100% (for example drop=5%).")]
    [InlineData("reorder-hold=0ms", "reorder-hold=0ms: out of range; allowed 1ms..60s.")]
    [InlineData("reorder-hold=61s", "reorder-hold=61s: out of range; allowed 1ms..60s.")]
    [InlineData("delay=10", "delay=10: a duration needs a unit (ns, us, ms or s); allowed 0..60s, optionally ±jitter (0..delay).")]
    [InlineData("delay=10min", "delay=10min: unknown unit 'min' (ns, us, ms or s); allowed 0..60s, optionally ±jitter (0..delay).")]
    [InlineData("delay=soon", "delay=soon: not a duration; allowed 0..60s, optionally ±jitter (0..delay).")]
    [InlineData("delay=61s", "delay=61s: out of range; allowed 0..60s, optionally ±jitter (0..delay).")]
    [InlineData("delay=10ms±x", "delay=10ms±x: the jitter: not a duration; allowed 0..delay.")]
    [InlineData("delay=10ms±20ms", "delay=10ms±20ms: jitter 20ms is larger than the delay 10ms; allowed jitter 0..delay.")]
    [InlineData("delay=10ms,out.jitter=11ms", "out.jitter=11ms: jitter 11ms is larger than the delay 10ms; allowed jitter 0..delay.")]
    [InlineData("jitter=5", "jitter=5: a duration needs a unit (ns, us, ms or s); allowed 0..delay.")]
    [InlineData("jitter=61s", "jitter=61s: out of range; allowed 0..delay.")]
    [InlineData("rate=100", "rate=100: a rate needs a unit; allowed 0 (unlimited) or 1kbit..1tbit, units bit, kbit, mbit, gbit, tbit.")]
    [InlineData("rate=100mbps", "rate=100mbps: 'mbps' is ambiguous (tc reads it as bytes per second); write bits, for example mbit; allowed 0 (unlimited) or 1kbit..1tbit, units bit, kbit, mbit, gbit, tbit.")]
    [InlineData("rate=100furlongs", "rate=100furlongs: unknown unit 'furlongs'; allowed 0 (unlimited) or 1kbit..1tbit, units bit, kbit, mbit, gbit, tbit.")]
    [InlineData("rate=fast", "rate=fast: not a rate; allowed 0 (unlimited) or 1kbit..1tbit, units bit, kbit, mbit, gbit, tbit.")]
    [InlineData("rate=999bit", "rate=999bit: out of range; allowed 0 (unlimited) or 1kbit..1tbit, units bit, kbit, mbit, gbit, tbit.")]
    [InlineData("rate=2tbit", "rate=2tbit: out of range; allowed 0 (unlimited) or 1kbit..1tbit, units bit, kbit, mbit, gbit, tbit.")]
    [InlineData("burst=65mb", "burst=65mb: out of range; allowed 0..64mb bytes, units k or kb (1024), m or mb (1048576).")]
    [InlineData("burst=1gb", "burst=1gb: unknown unit 'gb'; allowed 0..64mb bytes, units k or kb (1024), m or mb (1048576).")]
    [InlineData("burst=lots", "burst=lots: not a byte count; allowed 0..64mb bytes, units k or kb (1024), m or mb (1048576).")]
    [InlineData("limit=0", "limit=0: not a packet count in range; allowed 1..1000000 packets.")]
    [InlineData("out.limit=1000001", "out.limit=1000001: not a packet count in range; allowed 1..1000000 packets.")]
    [InlineData("delay-limit=-3", "delay-limit=-3: not a packet count in range; allowed 1..1000000 packets.")]
    [InlineData("max-size=65536", "max-size=65536: not a size in range; allowed 0 (no limit) or 1..65535 bytes.")]
    [InlineData("max-size=1.5", "max-size=1.5: not a size in range; allowed 0 (no limit) or 1..65535 bytes.")]
    [InlineData("seed=-1", "seed=-1: not a seed; allowed 0..18446744073709551615 or 0x hex.")]
    [InlineData("seed=0xZZ", "seed=0xZZ: not a seed; allowed 0..18446744073709551615 or 0x hex.")]
    [InlineData("seed=1,seed=2", "seed=2: seed given twice.")]
    [InlineData("in.seed=3", "in.seed=3: one seed drives both directions; write seed=3.")]
    [InlineData("drop=1%,drop=2%", "drop=2%: drop given twice (also by drop=1%).")]
    [InlineData("dup=1%,duplicate=1%", "duplicate=1%: dup given twice (also by dup=1%).")]
    [InlineData("delay=10ms±1ms,jitter=2ms", "jitter=2ms: jitter given twice (also by delay=10ms±1ms).")]
    [InlineData("out.drop=1%,out.drop=1%", "out.drop=1%: drop given twice.")]
    public void EveryErrorNamesTheItemAndTheAllowedRange(string spec, string message)
    {
        var ex = Assert.Throws<FormatException>(() => FaultOptions.Parse(spec));
        Assert.Equal(message, ex.Message);
        Assert.False(FaultOptions.TryParse(spec, out var options, out var error));
        Assert.Null(options);
        Assert.Equal(message, error);
    }

    [Fact]
    public void TryParseSucceedsWithoutAnError()
    {
        Assert.True(FaultOptions.TryParse("drop=1%", out var options, out var error));
        Assert.Null(error);
        Assert.Equal(0.01, options.Inbound.DropProbability);
        Assert.False(FaultOptions.TryParse(null, out _, out error));
        Assert.Equal("The fault spec is null.", error);
        Assert.Throws<ArgumentNullException>(() => FaultOptions.Parse(null!));
    }

    public static TheoryData<DirectionFaults, string> InvalidSettings => new()
    {
        { new DirectionFaults { DropProbability = -0.1 }, "Outbound.DropProbability is -0.1; allowed 0..1 (a probability)." },
        { new DirectionFaults { DuplicateProbability = 1.5 }, "Outbound.DuplicateProbability is 1.5; allowed 0..1 (a probability)." },
        { new DirectionFaults { ReorderProbability = double.NaN }, "Outbound.ReorderProbability is NaN; allowed 0..1 (a probability)." },
        { new DirectionFaults { CorruptProbability = 2 }, "Outbound.CorruptProbability is 2; allowed 0..1 (a probability)." },
        { new DirectionFaults { ReorderHold = TimeSpan.Zero }, "Outbound.ReorderHold is 00:00:00; allowed 1 ms..60 s." },
        { new DirectionFaults { Delay = TimeSpan.FromSeconds(-1) }, "Outbound.Delay is -00:00:01; allowed 0..60 s." },
        { new DirectionFaults { Delay = TimeSpan.FromSeconds(1), Jitter = TimeSpan.FromSeconds(2) }, "Outbound.Jitter is 00:00:02; allowed 0..Delay (00:00:01)." },
        { new DirectionFaults { RateBitsPerSecond = 10 }, "Outbound.RateBitsPerSecond is 10; allowed 0 (unlimited) or 1000..1000000000000 bit/s." },
        { new DirectionFaults { BurstBytes = -1 }, "Outbound.BurstBytes is -1; allowed 0..67108864." },
        { new DirectionFaults { QueueLimit = 0 }, "Outbound.QueueLimit is 0; allowed 1..1000000." },
        { new DirectionFaults { DelayLimit = 2_000_000 }, "Outbound.DelayLimit is 2000000; allowed 1..1000000." },
        { new DirectionFaults { MaxPacketSize = 70_000 }, "Outbound.MaxPacketSize is 70000; allowed 0 (no limit) or 1..65535." },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void ValidateNamesTheSettingAndItsRange(DirectionFaults faults, string message)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new FaultOptions { Outbound = faults }.Validate());
        Assert.StartsWith(message, ex.Message);
        Assert.Equal($"Outbound.{message.Split(' ')[0].Split('.')[1]}", ex.ParamName);
    }

    [Fact]
    public void ValidateNamesTheDirection()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new FaultOptions { Inbound = new DirectionFaults { DropProbability = 3 } }.Validate());
        Assert.Equal("Inbound.DropProbability", ex.ParamName);
        Assert.Throws<ArgumentNullException>(() => new FaultOptions { Inbound = null! }.Validate());
    }
}
