using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Netstack.Buffers;
using Netstack.Interop;
using Netstack.Link.FdBased;
using Netstack.Link.PacketSocket;
using Netstack.Stack;

namespace Netstack.Benchmarks;

/// <summary>
/// Whole-system packet rates of the endpoint against the C reference peers of shared/bench/limits (bench/link/run.sh):
/// the C program plays the other end (writer, reader, generator or counter) and the endpoint plays ours.
/// Prints one <c>RESULT</c> line: our pps, the peer's pps, and managed bytes allocated per packet in the window.
/// </summary>
internal static unsafe class LinkThroughput
{
    private static readonly double Warm = double.TryParse(Environment.GetEnvironmentVariable("NETSTACK_BENCH_WARM"), CultureInfo.InvariantCulture, out double w) ? w : 0.5;

    public static int Run(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: link rx-sock|tx-sock|rx-veth|tx-veth ...  (see bench/link/run.sh)");
            return 2;
        }
        var a = args[1..];
        return args[0] switch
        {
            "rx-sock" => RxSocket(a[0], Int(a[1]), a[2], Dbl(a[3]), a[4]),
            "tx-sock" => TxSocket(a[0], Int(a[1]), Dbl(a[2]), a[3]),
            "rx-veth" => RxVeth(Int(a[0]), a[1], Dbl(a[2]), a[3]),
            "tx-veth" => TxVeth(Int(a[0]), Dbl(a[1]), a[2]),
            _ => 2,
        };
    }

    private static int RxSocket(string type, int size, string mode, double seconds, string sockpair)
    {
        var (ours, peer) = SocketPairFor(type);
        // Ethernet framing without an address accepts whatever the C writer's bytes say: every packet is delivered.
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [ours], Mtu = 65535, EthernetHeader = true, PacketDispatchMode = ModeOf(mode) });
        var counter = new Counter();
        ep.Attach(counter);
        var child = Start(sockpair, $"-R writer -f {peer} -s {size} -w mmsg -B 47 -n -d {seconds} -W {Warm}");
        FileNative.Close(peer);
        var (pps, alloc) = Measure(() => counter.Count, seconds);
        string result = Finish(child);
        ep.Dispose();
        FileNative.Close(ours);
        Report($"rx-sock.{type}.{size}.{mode}", pps, Field(result, "pps"), alloc);
        return 0;
    }

    private static int TxSocket(string type, int size, double seconds, string sockpair)
    {
        var (ours, peer) = SocketPairFor(type);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [ours], Mtu = 65535 });
        var child = Start(sockpair, $"-R reader -f {peer} -r mmsg -b 32 -n -d {seconds} -W {Warm}");
        FileNative.Close(peer);
        var packets = MakePackets(size, ethernet: false);
        long sent = 0;
        var stop = new CancellationTokenSource();
        var thread = new Thread(() => SendLoop(ep, ours, packets, ref sent, stop.Token)) { IsBackground = true };
        thread.Start();
        var (pps, alloc) = Measure(() => Volatile.Read(ref sent), seconds);
        string result = Finish(child);
        stop.Cancel();
        thread.Join();
        ep.Dispose();
        FileNative.Close(ours);
        Report($"tx-sock.{type}.{size}.sendmmsg", pps, Field(result, "pps"), alloc);
        return 0;
    }

    private static int RxVeth(int size, string mode, double seconds, string pktbench)
    {
        // The same 256 MiB receive buffer the C reference sets.
        using var socket = PacketSocket.Open("lim_va", receiveBufferBytes: 256 << 20);
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [socket.Fd], EthernetHeader = true, Mtu = size <= 1514 ? 1500 : 65535, Address = LinkAddress.Parse("02:00:00:00:00:01"), PacketDispatchMode = ModeOf(mode),
        });
        var counter = new Counter();
        ep.Attach(counter);
        var child = Start(pktbench, $"-m gen -s {size} -d {seconds} -W {Warm}");
        var (pps, alloc) = Measure(() => counter.Count, seconds);
        string result = Finish(child);
        ep.Attach(null);
        Report($"rx-veth.{size}.{mode}", pps, Field(result, "dev_rx_pps"), alloc);
        return 0;
    }

    private static int TxVeth(int size, double seconds, string pktbench)
    {
        using var socket = PacketSocket.Open("lim_va");
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [socket.Fd], EthernetHeader = true, Mtu = 65535, Address = LinkAddress.Parse("02:00:00:00:00:0a") });
        var child = Start(pktbench, $"-m count -s {size} -d {seconds} -W {Warm}");
        var packets = MakePackets(size - 14, ethernet: true);
        long sent = 0;
        var stop = new CancellationTokenSource();
        var thread = new Thread(() => SendLoop(ep, socket.Fd, packets, ref sent, stop.Token)) { IsBackground = true };
        thread.Start();
        var (pps, alloc) = Measure(() => Volatile.Read(ref sent), seconds);
        string result = Finish(child);
        stop.Cancel();
        thread.Join();
        Report($"tx-veth.{size}.sendmmsg", pps, Field(result, "dev_rx_pps"), alloc);
        return 0;
    }

    // WritePackets in batches of 47 as fast as the fd takes them; waits in poll when it would block.
    private static void SendLoop(FdBasedEndpoint ep, int fd, PacketBuffer[] packets, ref long sent, CancellationToken token)
    {
        int start = 0;
        while (!token.IsCancellationRequested)
        {
            var result = ep.WritePackets(packets.AsSpan(start));
            Interlocked.Add(ref sent, result.Written);
            start += result.Written;
            if (start == packets.Length)
            {
                start = 0;
            }
            if (!result.Ok)
            {
                if (result.Error is not (TcpipError.WouldBlock or TcpipError.NoBufferSpace))
                {
                    return;
                }
                NativeTraffic.WaitWritable(fd);
            }
        }
    }

    private static PacketBuffer[] MakePackets(int size, bool ethernet)
    {
        var payload = new byte[size];
        payload[0] = 0x45;
        var packets = new PacketBuffer[47];
        for (int i = 0; i < packets.Length; i++)
        {
            packets[i] = PacketBuffer.Rent(64, payload);
            packets[i].NetworkProtocol = NetworkProtocolNumber.IPv4;
            packets[i].RemoteLinkAddress = LinkAddress.Parse("02:00:00:00:00:01");
            if (ethernet)
            {
                Netstack.Headers.EthernetHeader.Encode(packets[i].PushHeader(Buffers.HeaderKind.Link, 14),
                    packets[i].RemoteLinkAddress, LinkAddress.Parse("02:00:00:00:00:0a"), NetworkProtocolNumber.IPv4);
            }
        }
        return packets;
    }

    // Samples the packet counter, the process's CPU time and its allocated bytes over [Warm, Warm + seconds].
    // CPU time per packet (all our threads) is the figure that a loaded machine disturbs least.
    private static (double Pps, double AllocPerPacket) Measure(Func<long> count, double seconds)
    {
        Thread.Sleep(TimeSpan.FromSeconds(Warm));
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long c0 = count();
        long a0 = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        long c1 = count();
        long a1 = GC.GetTotalAllocatedBytes(precise: true);
        double elapsed = sw.Elapsed.TotalSeconds;
        var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
        long packets = c1 - c0;
        _cpuNsPerPacket = packets > 0 ? (cpu1 - cpu0).TotalNanoseconds / packets : 0;
        return (packets / elapsed, packets > 0 ? (double)(a1 - a0) / packets : 0);
    }

    private static double _cpuNsPerPacket;

    private static (int Ours, int Peer) SocketPairFor(string type)
    {
        int* fds = stackalloc int[2];
        int t = type == "dgram" ? SocketNative.SOCK_DGRAM : SocketNative.SOCK_SEQPACKET;
        if (SocketNative.SocketPair(SocketNative.AF_UNIX, t, 0, fds) != 0)
        {
            throw new IOException($"socketpair: errno {FileNative.LastErrno}");
        }
        return (fds[0], fds[1]);
    }

    private static PacketDispatchMode ModeOf(string mode) => mode switch
    {
        "readv" => PacketDispatchMode.Readv,
        "recvmmsg" => PacketDispatchMode.RecvMmsg,
        "mmap" => PacketDispatchMode.PacketMmap,
        _ => throw new ArgumentException($"mode must be readv, recvmmsg or mmap, not '{mode}'"),
    };

    private static Process Start(string program, string arguments)
    {
        var psi = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, UseShellExecute = false };
        return Process.Start(psi)!;
    }

    private static string Finish(Process child)
    {
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        return output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT", StringComparison.Ordinal)) ?? "";
    }

    private static double Field(string result, string name)
    {
        var m = Regex.Match(result, $@"\b{name}=([0-9.]+)");
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static void Report(string name, double pps, double peerPps, double alloc) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT impl=netstack case={name} pps={pps:F0} peer_pps={peerPps:F0} cpu_ns={_cpuNsPerPacket:F1} alloc_bytes_per_pkt={alloc:F3}"));

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static double Dbl(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private sealed class Counter : INetworkDispatcher
    {
        private long _count;

        public long Count => Volatile.Read(ref _count);

        public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet) => Interlocked.Increment(ref _count);
    }
}
