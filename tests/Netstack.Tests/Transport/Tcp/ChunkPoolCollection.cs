namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// Tests that compare <c>ChunkPool.Shared.Outstanding</c> or count allocations run alone: the pools are process-wide,
/// so a test running in parallel would move the count.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChunkPoolCollection
{
    public const string Name = "Shared chunk pool accounting";
}
