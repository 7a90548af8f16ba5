namespace Netstack.Stack.Counters;

/// <summary>A named count that only goes up, updated lock-free from any thread.</summary>
public sealed class Counter
{
    private long _value;

    internal Counter(string name) => Name = name;

    /// <summary>Name, in snake_case (for example <c>malformed_header</c>).</summary>
    public string Name { get; }

    /// <summary>The current count.</summary>
    public long Value => Volatile.Read(ref _value);

    /// <summary>Adds one.</summary>
    public void Increment() => Interlocked.Increment(ref _value);

    /// <summary>Adds <paramref name="amount"/>.</summary>
    public void Add(long amount) => Interlocked.Add(ref _value, amount);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}={Value}";
}
