namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// Tests that compare <c>ChunkPool.Shared.Outstanding</c> before and after run alone: the pool is process-wide,
/// so a test running in parallel would move the count.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChunkPoolCollection
{
    public const string Name = "Shared chunk pool accounting";
}
