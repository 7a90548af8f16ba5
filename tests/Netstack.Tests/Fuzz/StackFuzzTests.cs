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
    [Theory]
    [InlineData(true, 1500)]
    [InlineData(false, 1500)]
    [InlineData(true, 9000)]
    [InlineData(false, 65535)]
    public void RandomBytes(bool ethernet, int mtu) => Run(nameof(RandomBytes), ethernet, mtu, CaseKind.RandomBytes, 30, 1200);

    [Theory]
    [InlineData(true, 1500)]
    [InlineData(false, 1500)]
    [InlineData(true, 9000)]
    [InlineData(false, 65535)]
    public void MutatedFrames(bool ethernet, int mtu) => Run(nameof(MutatedFrames), ethernet, mtu, CaseKind.Mutations, 30, 1600);

    [Theory]
    [InlineData(true, 1500)]
    [InlineData(false, 1500)]
    [InlineData(true, 9000)]
    [InlineData(false, 65535)]
    public void HostileSequences(bool ethernet, int mtu) => Run(nameof(HostileSequences), ethernet, mtu, CaseKind.Hostile, 120, 400);

    [Theory]
    [InlineData(true, 1500)]
    [InlineData(false, 1500)]
    [InlineData(true, 9000)]
    [InlineData(false, 65535)]
    public void Mixed(bool ethernet, int mtu) => Run(nameof(Mixed), ethernet, mtu, CaseKind.Mixed, 60, 600);

    private void Run(string name, bool ethernet, int mtu, CaseKind kind, int maxSteps, int iterations)
    {
        var limits = new FuzzLimits { Mtu = mtu };
        FuzzRunner.Run($"{name}({(ethernet ? "ethernet" : "tun")}, mtu {mtu})", new CaseGenerator(ethernet, kind, maxSteps, mtu),
            c => FuzzRunner.RunCase(c, limits), iterations, output);
    }
}
