using System.Text;

namespace Netstack.Tests.Fuzz;

/// <summary>One step of a fuzz case: a frame to deliver, or time to let pass.</summary>
/// <param name="Frame">The frame (null for a pure time step).</param>
/// <param name="AdvanceMs">Milliseconds to advance the fake clock after the frame.</param>
/// <param name="Kind">What generated it (for the report of a failing case).</param>
/// <param name="Tcp">A TCP segment described relative to its flow, resolved when it is injected (instead of <paramref name="Frame"/>).</param>
internal sealed record FuzzStep(byte[]? Frame, int AdvanceMs, string Kind, TcpSpec? Tcp = null);

/// <summary>A fuzz case: the link kind and the steps, run against a fresh <see cref="FuzzHost"/>.</summary>
internal sealed class FuzzCase(bool ethernet, List<FuzzStep> steps)
{
    public bool Ethernet { get; } = ethernet;

    public List<FuzzStep> Steps { get; } = steps;

    public int Bytes => Steps.Sum(s => s.Frame?.Length ?? 0);

    /// <summary>The steps as a C#-pasteable list (frames in hex), for reproducing a failure in a unit test.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Ethernet ? "ethernet" : "tun").Append(", ").Append(Steps.Count).Append(" steps, ").Append(Bytes).AppendLine(" bytes:");
        foreach (var s in Steps.Take(400))
        {
            sb.Append("  ").Append(s.Kind);
            if (s.Tcp is not null)
            {
                sb.Append(' ').Append(s.Tcp);
            }
            if (s.Frame is not null)
            {
                sb.Append(' ').Append(Convert.ToHexString(s.Frame.AsSpan(0, Math.Min(s.Frame.Length, 2048))));
                if (s.Frame.Length > 2048)
                {
                    sb.Append("... (").Append(s.Frame.Length).Append(" bytes)");
                }
            }
            if (s.AdvanceMs > 0)
            {
                sb.Append(" +").Append(s.AdvanceMs).Append("ms");
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
