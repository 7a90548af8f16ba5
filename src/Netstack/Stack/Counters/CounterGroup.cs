using System.Diagnostics.Metrics;

namespace Netstack.Stack.Counters;

/// <summary>
/// The counters of one component (a NIC, a protocol, a link endpoint), in declaration order, so they can be
/// printed ("drops by reason") and exported through <see cref="System.Diagnostics.Metrics"/>.
/// Derived classes declare their counters as get-only properties initialised with <see cref="Create"/>.
/// </summary>
public abstract class CounterGroup
{
    private readonly List<Counter> _counters = new();

    /// <summary>Creates a group named <paramref name="name"/> (for example <c>ipv4</c> or <c>nic1</c>).</summary>
    protected CounterGroup(string name) => Name = name;

    /// <summary>The group's name; counters are exported as <c>netstack.{Name}.{counter}</c>.</summary>
    public string Name { get; }

    /// <summary>Every counter of the group, in declaration order.</summary>
    public IReadOnlyList<Counter> Counters => _counters;

    /// <summary>Sum of the counters whose names start with <paramref name="prefix"/>.</summary>
    public long Sum(string prefix)
    {
        long total = 0;
        foreach (var c in _counters)
        {
            if (c.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                total += c.Value;
            }
        }
        return total;
    }

    /// <summary>Publishes every counter of this group as an observable counter on <paramref name="meter"/>.</summary>
    public void Publish(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        foreach (var c in _counters)
        {
            var counter = c;
            meter.CreateObservableCounter($"netstack.{Name}.{counter.Name}", () => counter.Value);
        }
    }

    /// <summary>Non-zero counters as "name=value" pairs.</summary>
    public override string ToString() =>
        $"{Name}: " + string.Join(' ', _counters.Where(c => c.Value != 0).Select(c => c.ToString()));

    /// <summary>Declares a counter of this group.</summary>
    protected Counter Create(string name)
    {
        var c = new Counter(name);
        _counters.Add(c);
        return c;
    }
}
