using System.Diagnostics;
using System.Text;
using Netstack.Buffers;
using Netstack.Cli.Services;
using Netstack.Link.FdBased;
using Netstack.Stack;

namespace Netstack.Cli.Host;

/// <summary>
/// The lines <c>netstack up</c> prints about a running host: the status block at start, a live counter line
/// per interval (with rates since the previous line) and the summary at exit.
/// </summary>
internal sealed class HostReport(UserspaceHost host, IReadOnlyList<ServiceStats> services)
{
    private readonly DateTime _started = DateTime.UtcNow;
    private DateTime _last = DateTime.UtcNow;
    private long _lastRxPackets;
    private long _lastRxBytes;
    private long _lastTxPackets;
    private long _lastTxBytes;

    /// <summary>Time since the host started.</summary>
    public TimeSpan Uptime => DateTime.UtcNow - _started;

    /// <summary>The status block: device, addresses, MAC, MTU, dispatch, offloads, routes, services, faults, capture.</summary>
    public IEnumerable<string> Status(bool created, string serviceList)
    {
        var link = host.Link;
        var endpoint = host.Endpoint;
        string offload = link.GsoMaxSize != 0
            ? $"virtio-net header, GSO {link.GsoMaxSize}"
            : link.VirtioHeader ? "virtio-net header, no GSO" : "none";
        yield return $"{link.Description} {link.Name}{(created ? " (created by this process)" : "")}: MTU {link.Mtu}, " +
                     $"MAC {(link.Ethernet ? link.Mac.ToString() : "none (raw IP)")}, dispatch {Dispatch(link.Dispatch)}, " +
                     $"{link.Fds.Count} fd{(link.Fds.Count == 1 ? "" : "s")}, offload: {offload}" +
                     (link.TxQueueLength > 0 ? $", txqueuelen {link.TxQueueLength}" : "") +
                     (link.ReceiveBufferBytes > 0 ? $", receive buffer {link.ReceiveBufferBytes / 1024} KiB" : "");
        if (endpoint.FanoutGroupId >= 0)
        {
            yield return $"AF_PACKET fanout group {endpoint.FanoutGroupId}";
        }
        yield return "addresses: " + string.Join(", ", host.Nic.Addresses.Select(a => $"{a.AddressWithPrefix}{(a.State == AddressState.Assigned ? "" : $" ({a.State.ToString().ToLowerInvariant()})")}"));
        yield return "routes: " + string.Join(", ", host.Stack.Routes.Routes.Select(Route));
        yield return $"services: {serviceList}";
        if (host.Faults is { } faults)
        {
            yield return $"faults: {faults.Options} (seed {faults.Seed}; replay with seed={faults.Seed})";
        }
        if (host.Sniffer is not null)
        {
            yield return "capture: every packet in and out, as the stack sees it, to the --pcap file";
        }
    }

    /// <summary>One line of live counters, with rates since the previous call.</summary>
    public string Live()
    {
        var now = DateTime.UtcNow;
        double seconds = Math.Max(1e-3, (now - _last).TotalSeconds);
        var nic = host.Nic.Stats;
        long rxp = nic.PacketsReceived.Value, rxb = nic.BytesReceived.Value, txp = nic.PacketsSent.Value, txb = nic.BytesSent.Value;
        var sb = new StringBuilder();
        sb.Append($"[{Units.Seconds(now - _started)}] ");
        sb.Append($"in {rxp} pkts {Units.Bytes(rxb)} ({Units.PerSecond((rxp - _lastRxPackets) / seconds)}, {Units.BitRate((rxb - _lastRxBytes) / seconds)}), ");
        sb.Append($"out {txp} pkts {Units.Bytes(txb)} ({Units.PerSecond((txp - _lastTxPackets) / seconds)}, {Units.BitRate((txb - _lastTxBytes) / seconds)})");
        var drops = Drops().ToList();
        sb.Append($", drops {drops.Sum(d => d.Count)}");
        if (drops.Count > 0)
        {
            sb.Append(" (").Append(string.Join(' ', drops.Select(d => $"{d.Name}={d.Count}"))).Append(')');
        }
        if (services.Count > 0)
        {
            sb.Append(" | ").Append(string.Join(", ", services.Select(ServiceShort)));
        }
        (_last, _lastRxPackets, _lastRxBytes, _lastTxPackets, _lastTxBytes) = (now, rxp, rxb, txp, txb);
        return sb.ToString();
    }

    /// <summary>The summary at exit: uptime, link and NIC totals, every non-zero counter group, the services.</summary>
    public IEnumerable<string> Summary(string reason)
    {
        yield return $"stopped ({reason}) after {Units.Seconds(Uptime)}";
        foreach (var line in Totals())
        {
            yield return line;
        }
        yield return $"link {host.Link.Name}: {host.Endpoint.Statistics}";
        foreach (var group in host.CounterGroups)
        {
            if (group.Counters.Any(c => c.Value != 0))
            {
                yield return group.ToString();
            }
        }
        foreach (var s in services)
        {
            yield return ServiceLine(s);
        }
        yield return Memory();
    }

    /// <summary>Peak resident memory, the managed heap, and the packet buffers in use and kept for reuse.</summary>
    public static string Memory()
    {
        var pool = ChunkPool.Shared;
        using var self = Process.GetCurrentProcess();
        return $"memory: peak RSS {Units.Bytes(self.PeakWorkingSet64)}, managed heap {Units.Bytes(GC.GetTotalMemory(false))} " +
               $"({GC.CollectionCount(0)} collections), packet buffers {pool.Outstanding} in use and {Units.Bytes(pool.RetainedBytes)} pooled";
    }

    /// <summary>Packets and bytes in and out of the NIC, and the drops by reason.</summary>
    public IEnumerable<string> Totals()
    {
        var nic = host.Nic.Stats;
        yield return $"packets in {nic.PacketsReceived.Value} ({Units.Bytes(nic.BytesReceived.Value)}), out {nic.PacketsSent.Value} ({Units.Bytes(nic.BytesSent.Value)})";
        var drops = Drops().ToList();
        yield return drops.Count == 0
            ? "drops: none"
            : $"drops: {drops.Sum(d => d.Count)}: " + string.Join(' ', drops.Select(d => $"{d.Name}={d.Count}"));
    }

    /// <summary>Every non-zero drop counter: the link's by reason, then each counter group's <c>drop_*</c> and write errors.</summary>
    public IEnumerable<(string Name, long Count)> Drops()
    {
        var link = host.Endpoint.Statistics;
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            long n = link.Drops(reason);
            if (n != 0)
            {
                yield return ($"link.{reason}", n);
            }
        }
        if (link.WriteErrors != 0)
        {
            yield return ("link.write_errors", link.WriteErrors);
        }
        foreach (var group in host.CounterGroups)
        {
            foreach (var c in group.Counters)
            {
                if (c.Value != 0 && (c.Name.StartsWith("drop_", StringComparison.Ordinal) || c.Name is "write_errors" or "neighbor_resolution_failed"))
                {
                    yield return ($"{group.Name}.{c.Name}", c.Value);
                }
            }
        }
    }

    // "echo 1/1002 conns 2.8 MB": open/total connections and the bytes moved (each service moves them one way,
    // or the same both ways for echo); "udp-echo 120 dgrams".
    private static string ServiceShort(ServiceStats s) => s.Name == "udp-echo"
        ? $"udp-echo {s.Datagrams} dgrams"
        : $"{s.Name} {s.Active}/{s.Accepted} conns {Units.Bytes(Math.Max(s.BytesIn, s.BytesOut))}";

    private static string ServiceLine(ServiceStats s) => s.Name == "udp-echo"
        ? $"udp-echo {s.Datagrams} datagrams{(s.Errors != 0 ? $" {s.Errors} errors" : "")}"
        : $"{s.Name} {s.Active} open/{s.Accepted} total {Units.Bytes(s.BytesIn)} in {Units.Bytes(s.BytesOut)} out{(s.Errors != 0 ? $" {s.Errors} errors" : "")}";

    private static string Route(RouteEntry r)
    {
        string destination = r.Destination.PrefixLength == 0 ? $"default{(r.Destination.Network.IsV4 ? "" : "6")}" : r.Destination.ToString();
        return r.IsOnLink ? $"{destination} on-link" : $"{destination} via {r.Gateway}";
    }

    private static string Dispatch(PacketDispatchMode mode) => mode switch
    {
        PacketDispatchMode.Readv => "readv",
        PacketDispatchMode.RecvMmsg => "recvmmsg",
        _ => "mmap",
    };
}
