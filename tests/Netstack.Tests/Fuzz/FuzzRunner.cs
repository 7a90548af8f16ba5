using System.Diagnostics;
using System.Globalization;
using CsCheck;
using Netstack.Buffers;
using Xunit.Abstractions;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// Runs fuzz cases. In the test suite every run is deterministic: a fixed seed and a bounded number of cases.
/// The environment turns it into a long run:
/// <list type="bullet">
/// <item><c>NETSTACK_FUZZ_SECONDS=N</c>: run each fuzz test for N seconds (instead of a fixed number of cases);</item>
/// <item><c>NETSTACK_FUZZ_ITERATIONS=N</c>: run N cases per test;</item>
/// <item><c>NETSTACK_FUZZ_SEED=N</c>: the base seed (a number; case i uses seed N + i);</item>
/// <item><c>NETSTACK_FUZZ_REPLAY=seed</c>: run only the case with that CsCheck seed (printed by a failure).</item>
/// </list>
/// A failing case is shrunk by CsCheck from its seed and reported with its seed and its frames in hex.
/// </summary>
internal static class FuzzRunner
{
    /// <summary>The seed of the in-suite runs.</summary>
    public const ulong DefaultSeed = 0x5EED_2025;

    public static void Run(string name, Gen<FuzzCase> gen, Action<FuzzCase> property, int defaultIterations, ITestOutputHelper output)
    {
        string? replay = Environment.GetEnvironmentVariable("NETSTACK_FUZZ_REPLAY");
        if (!string.IsNullOrEmpty(replay))
        {
            var c = gen.Generate(PCG.Parse(replay), null, out _);
            output.WriteLine(c.ToString());
            property(c);
            return;
        }
        double seconds = Number("NETSTACK_FUZZ_SECONDS", 0);
        long iterations = (long)Number("NETSTACK_FUZZ_ITERATIONS", defaultIterations);
        ulong seed = (ulong)Number("NETSTACK_FUZZ_SEED", DefaultSeed);
        uint stream = StableHash(name);
        Coverage.Clear();
        var clock = Stopwatch.StartNew();
        long cases = 0;
        long steps = 0;
        long bytes = 0;
        for (long i = 0; seconds > 0 ? clock.Elapsed.TotalSeconds < seconds : i < iterations; i++)
        {
            var pcg = new PCG(stream, seed + (ulong)i);
            string caseSeed = pcg.ToString();
            var c = gen.Generate(pcg, null, out _);
            try
            {
                property(c);
            }
            catch (Exception e)
            {
                output.WriteLine($"{name}: case {i} failed (seed {caseSeed}, replay with NETSTACK_FUZZ_REPLAY={caseSeed}): {e.Message}");
                Shrink(gen, property, caseSeed, output);
                throw new FuzzInvariantException($"{name}: case {i} (NETSTACK_FUZZ_REPLAY={caseSeed}) failed: {e}\n{c}");
            }
            cases++;
            steps += c.Steps.Count;
            bytes += c.Bytes;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {cases} cases, {steps} steps, {bytes} bytes in {clock.Elapsed.TotalSeconds:F1} s (seed {seed}, stream {stream})"));
        if (Number("NETSTACK_FUZZ_COVERAGE", 0) != 0)
        {
            lock (Coverage)
            {
                foreach (var (counter, value) in Coverage.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    output.WriteLine($"  {counter} = {value}");
                }
            }
        }
    }

    /// <summary>Totals of every stack counter over the cases of the current run (set NETSTACK_FUZZ_COVERAGE=1 to print them).</summary>
    private static readonly Dictionary<string, long> Coverage = new();

    /// <summary>Runs one case on a fresh host and checks every invariant, liveness, and that no chunk leaked.</summary>
    public static void RunCase(FuzzCase c, FuzzLimits limits)
    {
        long before = ChunkPool.Shared.Outstanding;
        // A packet used after its last release then fails loudly instead of corrupting the one that reused it.
        PacketBufferPool.Recycle = false;
        try
        {
            using var host = new FuzzHost(c.Ethernet, limits);
            foreach (var step in c.Steps)
            {
                if (step.Frame is not null)
                {
                    host.Inject(step.Frame);
                }
                if (step.Tcp is not null)
                {
                    host.InjectTcp(step.Tcp);
                }
                if (step.AdvanceMs > 0)
                {
                    host.Advance(step.AdvanceMs);
                }
                host.CheckInvariants();
            }
            host.CheckLiveness();
            host.CheckTcpReleased();
            Tally(host);
        }
        finally
        {
            PacketBufferPool.Recycle = true;
        }
        long after = ChunkPool.Shared.Outstanding;
        if (after != before)
        {
            throw new FuzzInvariantException($"{after - before} chunks outstanding after the stack was disposed");
        }
    }

    // CsCheck replays the failing seed, then looks for smaller failing cases and reports the smallest.
    private static void Shrink(Gen<FuzzCase> gen, Action<FuzzCase> property, string seed, ITestOutputHelper output)
    {
        if (Number("NETSTACK_FUZZ_SHRINK", 1) == 0)
        {
            return;
        }
        try
        {
            gen.Sample(property, seed: seed, iter: (long)Number("NETSTACK_FUZZ_SHRINK_ITERATIONS", 300), threads: 1, print: c => c.ToString());
            output.WriteLine("the failure did not reproduce from its seed");
        }
        catch (Exception shrunk)
        {
            output.WriteLine($"shrunk: {shrunk.Message}");
        }
    }

    private static void Tally(FuzzHost host)
    {
        lock (Coverage)
        {
            foreach (var group in host.CounterGroups)
            {
                foreach (var counter in group.Counters)
                {
                    string key = group.Name.StartsWith("nic", StringComparison.Ordinal) ? $"nic.{counter.Name}" : $"{group.Name}.{counter.Name}";
                    Coverage[key] = Coverage.GetValueOrDefault(key) + counter.Value;
                }
            }
        }
    }

    // FNV-1a: string hashes are randomised per process, and a run must replay.
    private static uint StableHash(string text)
    {
        uint h = 2166136261;
        foreach (char ch in text)
        {
            h = (h ^ ch) * 16777619;
        }
        return h & 0x7FFF_FFFF;
    }

    private static double Number(string variable, double fallback)
    {
        string? text = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(text) ? fallback : double.Parse(text, CultureInfo.InvariantCulture);
    }
}
