namespace Netstack.Tests.Infrastructure;

/// <summary>Tests that count the process's open fds run alone: other tests open and close fds in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial (process-wide fd counts)";
}
