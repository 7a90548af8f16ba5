using System.Diagnostics.Metrics;

namespace Netstack.Link.FdBased;

/// <summary>
/// Publishes a <see cref="LinkStatistics"/> as System.Diagnostics.Metrics observable counters (meter
/// <see cref="MeterName"/>), tagged with the endpoint's name. Observable instruments read the plain counters
/// only when a listener collects, so the packet path pays nothing for them.
/// </summary>
public sealed class LinkMetrics : IDisposable
{
    /// <summary>The meter name to listen to.</summary>
    public const string MeterName = "Netstack.Link";

    private readonly Meter _meter;

    /// <summary>Creates the instruments for <paramref name="statistics"/>, tagged <c>endpoint=<paramref name="endpointName"/></c>.</summary>
    public LinkMetrics(LinkStatistics statistics, string endpointName)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        _meter = new Meter(MeterName);
        var tag = new KeyValuePair<string, object?>("endpoint", endpointName);
        _meter.CreateObservableCounter("netstack.link.packets_in", () => new Measurement<long>(statistics.PacketsReceived, tag), "{packet}");
        _meter.CreateObservableCounter("netstack.link.bytes_in", () => new Measurement<long>(statistics.BytesReceived, tag), "By");
        _meter.CreateObservableCounter("netstack.link.packets_out", () => new Measurement<long>(statistics.PacketsSent, tag), "{packet}");
        _meter.CreateObservableCounter("netstack.link.bytes_out", () => new Measurement<long>(statistics.BytesSent, tag), "By");
        _meter.CreateObservableCounter("netstack.link.write_errors", () => new Measurement<long>(statistics.WriteErrors, tag), "{error}");
        _meter.CreateObservableCounter("netstack.link.drops", () => DropMeasurements(statistics, tag), "{packet}");
    }

    private static IEnumerable<Measurement<long>> DropMeasurements(LinkStatistics statistics, KeyValuePair<string, object?> tag)
    {
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            yield return new Measurement<long>(statistics.Drops(reason), tag, new KeyValuePair<string, object?>("reason", reason.ToString()));
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
