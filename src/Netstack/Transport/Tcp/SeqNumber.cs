namespace Netstack.Transport.Tcp;

/// <summary>
/// A TCP sequence number: 32-bit arithmetic modulo 2^32, compared as RFC 9293 section 3.4 says
/// (a is before b when the signed difference b - a is positive, valid while they are within 2^31).
/// </summary>
internal readonly record struct SeqNumber(uint Value)
{
    /// <summary>The number <paramref name="count"/> octets after this one.</summary>
    public static SeqNumber operator +(SeqNumber seq, int count) => new(unchecked(seq.Value + (uint)count));

    /// <summary>The number <paramref name="count"/> octets before this one.</summary>
    public static SeqNumber operator -(SeqNumber seq, int count) => new(unchecked(seq.Value - (uint)count));

    /// <summary>The signed distance from <paramref name="b"/> to <paramref name="a"/> (a - b).</summary>
    public static int operator -(SeqNumber a, SeqNumber b) => unchecked((int)(a.Value - b.Value));

    /// <summary>This is strictly before <paramref name="other"/>.</summary>
    public bool LessThan(SeqNumber other) => unchecked((int)(Value - other.Value)) < 0;

    /// <summary>This is before or equal to <paramref name="other"/>.</summary>
    public bool LessThanEq(SeqNumber other) => unchecked((int)(Value - other.Value)) <= 0;

    /// <summary>This is strictly after <paramref name="other"/>.</summary>
    public bool GreaterThan(SeqNumber other) => unchecked((int)(Value - other.Value)) > 0;

    /// <summary>This is after or equal to <paramref name="other"/>.</summary>
    public bool GreaterThanEq(SeqNumber other) => unchecked((int)(Value - other.Value)) >= 0;

    /// <summary>first &lt;= this &lt; first + size (modular).</summary>
    public bool InWindow(SeqNumber first, int size) => unchecked(Value - first.Value) < (uint)size;

    /// <summary>first &lt;= this &lt; end (modular).</summary>
    public bool InRange(SeqNumber first, SeqNumber end) => unchecked(Value - first.Value) < unchecked(end.Value - first.Value);

    /// <summary>The later of two numbers.</summary>
    public static SeqNumber Max(SeqNumber a, SeqNumber b) => a.GreaterThan(b) ? a : b;

    /// <summary>The earlier of two numbers.</summary>
    public static SeqNumber Min(SeqNumber a, SeqNumber b) => a.LessThan(b) ? a : b;

    /// <inheritdoc/>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
