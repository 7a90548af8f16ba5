using System.Diagnostics.Metrics;
using Netstack.Interop;
using Netstack.Link.FdBased;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

public class LinkMetricsTests
{
    [Fact]
    public void CountersArePublishedThroughSystemDiagnosticsMetrics()
    {
        string name = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        using var pair = new SocketPair(SocketNative.SOCK_DGRAM);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], Name = name });
        var recorder = new RecordingDispatcher();
        ep.Attach(recorder);
        pair.Send(Frames.Ipv4Like(100, 1));
        pair.Send([0x10, 1, 2]); // not IP: dropped
        var pkt = WritePacketTests.Packet(Frames.Ipv4Like(60, 2), 0);
        ep.WritePackets([pkt]);
        pkt.Release();
        Assert.NotNull(recorder.Next());
        Assert.True(SpinWait.SpinUntil(() => ep.Statistics.Drops(DropReason.UnknownProtocol) == 1, 5000));
        ep.Attach(null);

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LinkMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? endpoint = null;
            string? reason = null;
            foreach (var tag in tags)
            {
                endpoint = tag.Key == "endpoint" ? (string?)tag.Value : endpoint;
                reason = tag.Key == "reason" ? (string?)tag.Value : reason;
            }
            if (endpoint == name)
            {
                seen[instrument.Name + (reason is null ? "" : "/" + reason)] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(1, seen["netstack.link.packets_in"]);
        Assert.Equal(100, seen["netstack.link.bytes_in"]);
        Assert.Equal(1, seen["netstack.link.packets_out"]);
        Assert.Equal(60, seen["netstack.link.bytes_out"]);
        Assert.Equal(0, seen["netstack.link.write_errors"]);
        Assert.Equal(1, seen["netstack.link.drops/UnknownProtocol"]);
        Assert.Equal(0, seen["netstack.link.drops/Runt"]);
        Assert.Contains("UnknownProtocol=1", ep.Statistics.ToString());
    }
}
