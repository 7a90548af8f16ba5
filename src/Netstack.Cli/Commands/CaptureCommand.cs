using System.CommandLine;
using System.Diagnostics;
using Netstack.Buffers;
using Netstack.Link.FdBased;
using Netstack.Link.Sniffer;
using Netstack.Stack;

namespace Netstack.Cli.Commands;

/// <summary><c>netstack capture</c>: reads a device through the fd-based endpoint and writes a pcap.</summary>
internal sealed class CaptureCommand : ICliCommand
{
    public Command Create()
    {
        var packet = new Option<string?>("--packet") { Description = "Capture from an interface through an AF_PACKET socket." };
        var tun = new Option<string?>("--tun") { Description = "Capture from a TUN device (created if missing, raw IP)." };
        var tap = new Option<string?>("--tap") { Description = "Capture from a TAP device (created if missing, Ethernet)." };
        var dispatch = new Option<string>("--dispatch") { Description = "How to read: readv, recvmmsg or mmap (AF_PACKET only).", DefaultValueFactory = _ => "recvmmsg" };
        dispatch.AcceptOnlyFromAmong("readv", "recvmmsg", "mmap");
        var write = new Option<FileInfo>("--write", "-w") { Description = "The pcap file to write.", Required = true };
        var count = new Option<long?>("--count", "-c") { Description = "Stop after this many packets." };
        var duration = new Option<double?>("--duration", "-d") { Description = "Stop after this many seconds." };
        var command = new Command("capture", "Capture packets from a device into a pcap file (progress and summary on stderr).")
        {
            packet, tun, tap, dispatch, write, count, duration,
        };
        command.Validators.Add(result =>
        {
            int given = (result.GetValue(packet) is null ? 0 : 1) + (result.GetValue(tun) is null ? 0 : 1) + (result.GetValue(tap) is null ? 0 : 1);
            if (given != 1)
            {
                result.AddError("Give exactly one of --packet IFACE, --tun NAME, --tap NAME.");
            }
            if (result.GetValue(count) is <= 0)
            {
                result.AddError("--count must be 1 or more.");
            }
            if (result.GetValue(duration) is <= 0)
            {
                result.AddError("--duration must be more than 0 seconds.");
            }
        });
        command.SetAction((parse, token) => Task.FromResult(Run(
            parse.GetValue(packet), parse.GetValue(tun), parse.GetValue(tap), parse.GetValue(dispatch)!,
            parse.GetValue(write)!, parse.GetValue(count), parse.GetValue(duration), token)));
        return command;
    }

    private static int Run(string? packet, string? tun, string? tap, string dispatch, FileInfo file, long? count, double? duration, CancellationToken token)
    {
        try
        {
            using var source = LinkSource.Open(packet, tun, tap, seeOutgoing: true);
            using var pcap = new PcapWriter(file.Create(), source.Ethernet ? PcapWriter.LinkTypeEthernet : PcapWriter.LinkTypeRaw);
            using var done = new ManualResetEventSlim();
            var sink = new PcapSink(pcap, count ?? long.MaxValue, done);
            using var endpoint = new FdBasedEndpoint(new FdBasedEndpointOptions
            {
                Fds = [source.Fd],
                EthernetHeader = source.Ethernet,
                Mtu = 65535,
                PacketDispatchMode = LinkSource.ParseDispatch(dispatch),
                Name = "capture",
                ClosedCallback = e =>
                {
                    Console.Error.WriteLine($"capture: the device closed ({e})");
                    done.Set();
                },
            });
            Console.Error.WriteLine($"capture: {source.Description}, {dispatch}, writing {file.FullName}");
            endpoint.Attach(sink);
            var clock = Stopwatch.StartNew();
            var limit = duration is { } d ? TimeSpan.FromSeconds(d) : Timeout.InfiniteTimeSpan;
            using var registration = token.Register(done.Set);
            while (!done.IsSet)
            {
                var left = limit == Timeout.InfiniteTimeSpan ? TimeSpan.FromSeconds(1) : limit - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    break;
                }
                done.Wait(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
                Console.Error.WriteLine($"capture: {clock.Elapsed.TotalSeconds:F0}s {sink.Packets} packets {sink.Bytes} bytes, drops {endpoint.Statistics.TotalDrops}");
            }
            endpoint.Attach(null);
            pcap.Flush();
            Console.Error.WriteLine($"capture: done: {sink.Packets} packets, {sink.Bytes} bytes in {clock.Elapsed.TotalSeconds:F1}s");
            Console.Error.WriteLine($"capture: link: {endpoint.Statistics}");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"capture: {e.Message}");
            return 1;
        }
    }

    /// <summary>Writes each delivered frame (link header included) to the pcap.</summary>
    private sealed class PcapSink(PcapWriter pcap, long limit, ManualResetEventSlim done) : INetworkDispatcher
    {
        [ThreadStatic]
        private static byte[]? _buffer;

        private long _packets;
        private long _bytes;

        public long Packets => Interlocked.Read(ref _packets);

        public long Bytes => Interlocked.Read(ref _bytes);

        public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet)
        {
            if (Interlocked.Increment(ref _packets) > limit)
            {
                Interlocked.Decrement(ref _packets);
                done.Set();
                return;
            }
            var buffer = _buffer ??= new byte[70000];
            int n = packet.CopyTo(buffer);
            pcap.Write(buffer.AsSpan(0, n), DateTimeOffset.UtcNow);
            Interlocked.Add(ref _bytes, n);
            if (Packets == limit)
            {
                done.Set();
            }
        }
    }
}
