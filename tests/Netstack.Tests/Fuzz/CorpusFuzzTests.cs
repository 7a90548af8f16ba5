using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;
using Netstack.Buffers;
using Xunit.Abstractions;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// Feedback-driven fuzzing: the stack's own counters are the coverage signal. A frame whose processing changed
/// a set of counters never seen before (a new path through the parsers and their drop reasons) joins the corpus,
/// and corpus frames are mutated (and spliced) further, so the fuzzer climbs towards deeper combinations than
/// random generation reaches. Frames go to a long-lived host, so state accumulates between them (neighbours,
/// reassemblies, SLAAC addresses, routes, path MTUs) as on a real link; every epoch ends with the invariants,
/// liveness, disposal and the chunk leak check. A failure prints the epoch's frames. Long runs:
/// NETSTACK_FUZZ_SECONDS, NETSTACK_FUZZ_SEED.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class CorpusFuzzTests(ITestOutputHelper output)
{
    private const int EpochFrames = 3000;
    private const int MaxCorpus = 4000;

    [Theory]
    [InlineData(true, 1500)]
    [InlineData(false, 65535)]
    public void CounterGuided(bool ethernet, int mtu)
    {
        double seconds = Number("NETSTACK_FUZZ_SECONDS", 0);
        ulong seed = (ulong)Number("NETSTACK_FUZZ_SEED", FuzzRunner.DefaultSeed);
        var r = new FuzzRandom(new PCG(ethernet ? 101u : 102u, seed));
        var packets = new PacketFactory(r, mtu);
        var limits = new FuzzLimits { Mtu = mtu };
        var corpus = new List<byte[]>();
        var seen = new HashSet<string>();
        var clock = Stopwatch.StartNew();
        long frames = 0;
        int epochs = 0;
        do
        {
            var epoch = new List<byte[]>(EpochFrames);
            long before = ChunkPool.Shared.Outstanding;
            PacketBufferPool.Recycle = false;
            try
            {
                using (var host = new FuzzHost(ethernet, limits))
                {
                    var groups = host.CounterGroups.ToArray();
                    var last = Snapshot(groups);
                    for (int i = 0; i < EpochFrames; i++)
                    {
                        var frame = Next(r, packets, corpus, ethernet, host);
                        epoch.Add(frame);
                        host.Inject(frame);
                        if (r.Chance(0.01))
                        {
                            host.Advance(r.Pick(1, 1000, 5000, 31_000, 61_000));
                        }
                        var now = Snapshot(groups);
                        string signature = Signature(last, now);
                        last = now;
                        if (seen.Add(signature))
                        {
                            if (corpus.Count < MaxCorpus)
                            {
                                corpus.Add(frame);
                            }
                            else
                            {
                                corpus[r.Int(MaxCorpus)] = frame;
                            }
                        }
                        if (i % 100 == 0)
                        {
                            host.CheckInvariants();
                        }
                    }
                    host.CheckInvariants();
                    host.RestoreAddresses();
                    host.CheckLiveness();
                }
                PacketBufferPool.Recycle = true;
                if (ChunkPool.Shared.Outstanding != before)
                {
                    throw new FuzzInvariantException($"{ChunkPool.Shared.Outstanding - before} chunks outstanding after the epoch");
                }
            }
            catch (Exception e)
            {
                PacketBufferPool.Recycle = true;
                output.WriteLine($"epoch {epochs} failed after {epoch.Count} frames (seed {seed}):");
                foreach (var f in epoch.TakeLast(50))
                {
                    output.WriteLine("  " + Convert.ToHexString(f.AsSpan(0, Math.Min(f.Length, 512))));
                }
                throw new FuzzInvariantException($"corpus fuzz, epoch {epochs}: {e}");
            }
            frames += epoch.Count;
            epochs++;
        }
        while (seconds > 0 ? clock.Elapsed.TotalSeconds < seconds : epochs < 2);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{epochs} epochs, {frames} frames, {seen.Count} counter signatures, corpus {corpus.Count}, {clock.Elapsed.TotalSeconds:F1} s (seed {seed})"));
    }

    // A fresh valid frame, or a corpus frame mutated (sometimes spliced with another), checksums fixed half the time.
    private static byte[] Next(FuzzRandom r, PacketFactory packets, List<byte[]> corpus, bool ethernet, FuzzHost host)
    {
        byte[] frame;
        if (corpus.Count == 0 || r.Chance(0.25))
        {
            var ip = r.Chance(0.5) ? packets.Ipv4Packet() : packets.Ipv6Packet();
            frame = ethernet && r.Chance(0.1)
                ? Wire.Ethernet(r.Chance(0.5) ? LinkAddress.Broadcast : FuzzHost.OurMac, packets.RandomUnicastMac(), Wire.EtherArp, packets.Arp())
                : host.Frame(ip);
        }
        else
        {
            frame = (byte[])r.PickFrom(corpus).Clone();
            if (r.Chance(0.1))
            {
                var other = r.PickFrom(corpus);
                int cut = r.Int(frame.Length + 1);
                int from = r.Int(other.Length + 1);
                frame = [.. frame.AsSpan(0, cut), .. other.AsSpan(from)];
            }
            frame = Mutator.Mutate(r, frame, r.Int(1, 4));
        }
        if (r.Chance(0.5))
        {
            ChecksumFixer.Fix(frame, ethernet);
        }
        return frame;
    }

    private static long[] Snapshot(Netstack.Stack.Counters.CounterGroup[] groups)
    {
        var values = new List<long>(300);
        foreach (var g in groups)
        {
            foreach (var c in g.Counters)
            {
                values.Add(c.Value);
            }
        }
        return [.. values];
    }

    // Which counters moved: the path the frame took, as far as the stack can tell.
    private static string Signature(long[] before, long[] after)
    {
        var sb = new StringBuilder(32);
        for (int i = 0; i < after.Length; i++)
        {
            if (after[i] != before[i])
            {
                sb.Append(i).Append(',');
            }
        }
        return sb.ToString();
    }

    private static double Number(string variable, double fallback)
    {
        string? text = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(text) ? fallback : double.Parse(text, CultureInfo.InvariantCulture);
    }
}
