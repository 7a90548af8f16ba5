using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CsCheck;
using Netstack.Buffers;
using Netstack.Transport.Udp;
using Xunit.Abstractions;

namespace Netstack.Tests.Fuzz;

/// <summary>
/// The stack as it really runs: several receive threads (a multi-queue link) delivering fuzzed frames at once,
/// timers firing on their own threads (a real clock, accelerated a thousand times), an application sending and
/// reading on sockets and changing addresses and group memberships, and a thread draining and checking what the
/// stack writes. Afterwards: no fault, every bound, liveness, and no chunk leaked. Races are not replayable from a
/// seed; the seed still fixes the frames. Long runs: NETSTACK_FUZZ_SECONDS (per test), NETSTACK_FUZZ_SEED.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class ConcurrentFuzzTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReceiveTimersAndApplicationAtOnce(bool ethernet)
    {
        double seconds = Number("NETSTACK_FUZZ_SECONDS", 0);
        ulong seed = (ulong)Number("NETSTACK_FUZZ_SEED", FuzzRunner.DefaultSeed);
        var clock = Stopwatch.StartNew();
        int rounds = 0;
        long frames = 0;
        do
        {
            frames += Round(ethernet, seed + (ulong)rounds, seconds > 0 ? 2000 : 400);
            rounds++;
        }
        while (seconds > 0 ? clock.Elapsed.TotalSeconds < seconds : rounds < 2);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{rounds} rounds, {frames} frames in {clock.Elapsed.TotalSeconds:F1} s (seed {seed})"));
    }

    // One host, four threads of traffic for `milliseconds`, then the checks. Returns the frames delivered.
    private long Round(bool ethernet, ulong seed, int milliseconds)
    {
        long before = ChunkPool.Shared.Outstanding;
        long delivered = 0;
        var problems = new ConcurrentQueue<string>();
        PacketBufferPool.Recycle = false;
        try
        {
            RoundOn(ethernet, seed, milliseconds, problems, ref delivered);
        }
        finally
        {
            PacketBufferPool.Recycle = true;
        }
        // A timer callback that was running on the thread pool when the stack was disposed may still hold a
        // packet for a moment; a leak stays.
        for (int i = 0; i < 100 && ChunkPool.Shared.Outstanding != before; i++)
        {
            Thread.Sleep(10);
        }
        Assert.Equal(before, ChunkPool.Shared.Outstanding);
        return delivered;
    }

    private void RoundOn(bool ethernet, ulong seed, int milliseconds, ConcurrentQueue<string> problems, ref long deliveredTotal)
    {
        long delivered = 0;
        // Real timers a thousand times faster: the 30 s reassembly timeout passes in 30 ms, neighbour probes
        // every millisecond, each callback on a thread-pool thread, racing the receive threads as in production.
        using var clock = new AcceleratedTimeProvider(1000);
        using (var host = new FuzzHost(ethernet, new FuzzLimits(), clock))
        {
            using var stop = new CancellationTokenSource();
            var threads = new List<Thread>();
            for (int t = 0; t < 3; t++)
            {
                var gen = new CaseGenerator(ethernet, CaseKind.Mixed, 40);
                var pcg = new PCG((uint)t + 1, seed);
                threads.Add(Start($"receive-{t}", problems, () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        foreach (var step in gen.Generate(pcg, null, out _).Steps)
                        {
                            if (step.Frame is not null)
                            {
                                host.Link.InjectFrame(step.Frame);
                                Interlocked.Increment(ref delivered);
                            }
                        }
                    }
                }));
            }
            threads.Add(Start("application", problems, () => Application(host, seed, stop.Token)));
            threads.Add(Start("link-out", problems, () =>
            {
                while (!stop.IsCancellationRequested || host.Link.Outbound.Count > 0)
                {
                    if (host.Link.TryReadOutbound() is not { } p)
                    {
                        Thread.Sleep(1);
                        continue;
                    }
                    string? problem = OutputValidator.Check(p.ToArray(), ethernet, FuzzHost.OurMac, host.Limits.Mtu);
                    p.Release();
                    if (problem is not null)
                    {
                        problems.Enqueue(problem);
                    }
                }
            }));
            Thread.Sleep(milliseconds);
            stop.Cancel();
            foreach (var t in threads)
            {
                if (!t.Join(TimeSpan.FromSeconds(30)))
                {
                    problems.Enqueue($"thread {t.Name} did not stop (a deadlock or a livelock)");
                }
            }
            Assert.True(problems.IsEmpty, string.Join("\n", problems.Take(5)));
            // Addresses the application removed come back, so that liveness can be checked.
            host.RestoreAddresses();
            host.Link.DrainOutbound();
            host.CheckInvariants();
            host.CheckLiveness();
        }
        deliveredTotal = delivered;
    }

    // Sends to the peer, to strangers (neighbour resolution), to groups; reads; joins and leaves groups; removes
    // and re-adds addresses; opens and closes sockets.
    private static void Application(FuzzHost host, ulong seed, CancellationToken stop)
    {
        var r = new Random((int)(seed >> 1));
        var buffer = new byte[65536];
        var sockets = new List<UdpEndpoint>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                switch (r.Next(10))
                {
                    case 0:
                        var s = host.Udp.CreateEndpoint(r.Next(2) == 0 ? NetworkProtocolNumber.IPv4 : NetworkProtocolNumber.IPv6);
                        s.ReceiveBufferSize = 8192;
                        s.Bind(new FullAddress(s.NetworkProtocol == NetworkProtocolNumber.IPv4 ? Address.AnyV4 : Address.AnyV6, 0));
                        sockets.Add(s);
                        break;
                    case 1 when sockets.Count > 0:
                        int i = r.Next(sockets.Count);
                        sockets[i].Close();
                        sockets.RemoveAt(i);
                        break;
                    case 2 or 3 when sockets.Count > 0:
                        var sender = sockets[r.Next(sockets.Count)];
                        bool v4 = sender.NetworkProtocol == NetworkProtocolNumber.IPv4;
                        var to = r.Next(3) switch
                        {
                            0 => v4 ? FuzzHost.Peer4 : FuzzHost.Peer6,
                            1 => v4 ? Address.V4(10, 0, 0, (byte)r.Next(3, 250)) : Address.FromV6(0xFD00_0000_0000_0000, (ulong)r.Next(3, 250)),
                            _ => v4 ? FuzzHost.Group4 : FuzzHost.Group6,
                        };
                        sender.WriteTo(buffer.AsSpan(0, r.Next(r.Next(10) == 0 ? 65_000 : 1400)), new FullAddress(to, (ushort)r.Next(1, 65535)));
                        break;
                    case 4 or 5:
                        host.Echo4.Read(buffer, out _);
                        host.Echo6.Read(buffer, out _);
                        host.Connected4.Read(buffer, out _);
                        break;
                    case 6:
                        if (host.Echo4.JoinGroup(Address.Parse("239.9.9.9"), 1) == TcpipError.None)
                        {
                            host.Echo4.LeaveGroup(Address.Parse("239.9.9.9"), 1);
                        }
                        break;
                    case 7:
                        host.ToggleSpareAddress(r.Next(2) == 0);
                        break;
                    default:
                        Thread.Sleep(0);
                        break;
                }
            }
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Close();
            }
        }
    }

    private static Thread Start(string name, ConcurrentQueue<string> problems, Action body)
    {
        var t = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                problems.Enqueue($"{name}: {e}");
            }
        }) { IsBackground = true, Name = name };
        t.Start();
        return t;
    }

    private static double Number(string variable, double fallback)
    {
        string? text = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(text) ? fallback : double.Parse(text, CultureInfo.InvariantCulture);
    }
}
