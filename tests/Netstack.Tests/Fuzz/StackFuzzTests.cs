using Xunit.Abstractions;

namespace Netstack.Tests.Fuzz;

/// <summary>Fuzz tests share the process-wide chunk pool for the leak check, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "Fuzz (shared chunk pool)";
}

/// <summary>
/// The whole stack under hostile input, on an Ethernet link and on a TUN-like link: random bytes, mutated
/// valid frames of every protocol (checksums fixed half of the time, so the deeper code is reached), and hostile
/// sequences. After every step: no exception escaped a handler, every bound holds, every frame the stack wrote
/// is well formed; after every case: the stack still answers ping and UDP on both IP versions, and once it is
/// disposed every chunk is back in the pool. See <see cref="FuzzRunner"/> for the long-run settings.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class StackFuzzTests(ITestOutputHelper output)
{
    private static readonly FuzzLimits Limits = new();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RandomBytes(bool ethernet) => Run(nameof(RandomBytes), ethernet, CaseKind.RandomBytes, 30, 250);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MutatedFrames(bool ethernet) => Run(nameof(MutatedFrames), ethernet, CaseKind.Mutations, 30, 400);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HostileSequences(bool ethernet) => Run(nameof(HostileSequences), ethernet, CaseKind.Hostile, 120, 120);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Mixed(bool ethernet) => Run(nameof(Mixed), ethernet, CaseKind.Mixed, 60, 150);

    private void Run(string name, bool ethernet, CaseKind kind, int maxSteps, int iterations) =>
        FuzzRunner.Run($"{name}({(ethernet ? "ethernet" : "tun")})", new CaseGenerator(ethernet, kind, maxSteps),
            c => FuzzRunner.RunCase(c, Limits), iterations, output);
}
