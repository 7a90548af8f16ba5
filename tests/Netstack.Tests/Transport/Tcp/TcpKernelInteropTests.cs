using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Netstack.Sockets;
using Netstack.Tests.Infrastructure;
using TcpListener = Netstack.Sockets.TcpListener;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>Our TCP against the kernel's, through TUN, TAP and veth, IPv4 and IPv6.</summary>
public class TcpKernelInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [SkippableTheory]
    [InlineData(KernelLink.Tun, false)]
    [InlineData(KernelLink.TunVirtio, false)]
    [InlineData(KernelLink.Tap, false)]
    [InlineData(KernelLink.Veth, false)]
    [InlineData(KernelLink.Tun, true)]
    [InlineData(KernelLink.TunVirtio, true)]
    [InlineData(KernelLink.Tap, true)]
    [InlineData(KernelLink.Veth, true)]
    public async Task BulkTransfersBothWaysArriveIntact(KernelLink link, bool v6)
    {
        using var peer = new KernelPeer(link);
        var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var upload = RandomBytes(6 << 20, 1);
        var download = RandomBytes(6 << 20, 2);

        // Kernel client -> our server.
        await using var listener = new TcpListener(peer.Stack, new IPEndPoint(KernelPeer.Ours(v6), 5001));
        listener.Start();
        using var client = peer.KernelSocket(family);
        await client.ConnectAsync(new IPEndPoint(KernelPeer.Ours(v6), 5001)).WaitAsync(Timeout);
        await using var server = await listener.AcceptAsync().AsTask().WaitAsync(Timeout);
        var kernelSends = Task.Run(async () =>
        {
            await client.SendAsync(upload);
            client.Shutdown(SocketShutdown.Send);
        });
        var received = await TcpBulkTransferTests.ReadAll(server).WaitAsync(Timeout);
        await kernelSends;
        Assert.Equal(SHA256.HashData(upload), SHA256.HashData(received));
        if (link == KernelLink.TunVirtio)
        {
            // With receive offloads the kernel hands over super-segments: far fewer than one per MSS.
            Assert.True(server.GetStatistics().SegmentsReceived < upload.Length / 1448 / 4, server.GetStatistics().ToString());
        }

        // Our client -> kernel server.
        using var kernelListener = peer.KernelSocket(family);
        kernelListener.Bind(new IPEndPoint(KernelPeer.Kernels(v6), 5002));
        kernelListener.Listen();
        var accept = kernelListener.AcceptAsync();
        await using var ours = await TcpConnection.ConnectAsync(peer.Stack, new IPEndPoint(KernelPeer.Kernels(v6), 5002)).WaitAsync(Timeout);
        using var kernelServer = await accept.WaitAsync(Timeout);
        var kernelReads = Task.Run(() => ReadAll(kernelServer));
        await TcpBulkTransferTests.SendAndShutdown(ours, download).WaitAsync(Timeout);
        Assert.Equal(SHA256.HashData(download), SHA256.HashData(await kernelReads.WaitAsync(Timeout)));
        var stats = ours.GetStatistics();
        Assert.True(stats.SackEnabled && stats.TimestampsEnabled && stats.SendWindowScale > 0, stats.ToString());
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AThousandConcurrentConnectionsAreEchoed(bool v6)
    {
        using var peer = new KernelPeer(KernelLink.TunVirtio);
        // Room for the burst in the kernel's queue towards us (500 by default), so no SYN waits for a retransmission.
        peer.Namespace.Check("ip link set nsk0 txqueuelen 5000");
        var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        await using var listener = new TcpListener(peer.Stack, new IPEndPoint(KernelPeer.Ours(v6), 7));
        listener.Start(backlog: 4096);
        var serving = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            for (int i = 0; i < 1000; i++)
            {
                var c = await listener.AcceptAsync();
                handlers.Add(Task.Run(async () =>
                {
                    await using (c)
                    {
                        var buffer = new byte[64];
                        int n;
                        while ((n = await c.ReadAsync(buffer)) > 0)
                        {
                            await c.WriteAsync(buffer.AsMemory(0, n));
                        }
                    }
                }));
            }
            await Task.WhenAll(handlers);
        });
        var sockets = peer.KernelSockets(family, 1000);
        try
        {
            var clients = sockets.Select(async (s, i) =>
            {
                await s.ConnectAsync(new IPEndPoint(KernelPeer.Ours(v6), 7));
                var message = BitConverter.GetBytes(i);
                await s.SendAsync(message);
                var echo = new byte[4];
                int got = 0;
                while (got < 4)
                {
                    int n = await s.ReceiveAsync(echo.AsMemory(got));
                    Assert.True(n > 0, "echo cut short");
                    got += n;
                }
                Assert.Equal(message, echo);
                s.Shutdown(SocketShutdown.Send);
                Assert.Equal(0, await s.ReceiveAsync(new byte[1]));
            }).ToArray();
            await Task.WhenAll(clients).WaitAsync(Timeout);
            await serving.WaitAsync(Timeout);
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
        }
        Assert.True(peer.Tcp.Stats.PassiveOpens.Value >= 1000);
    }

    [SkippableTheory]
    [InlineData(KernelLink.Tun)]
    [InlineData(KernelLink.Tap)]
    [InlineData(KernelLink.Veth)]
    public async Task HalfCloseWorksBothWays(KernelLink link)
    {
        using var peer = new KernelPeer(link);
        // The kernel closes its sending side first; we still answer, then close.
        await using var listener = new TcpListener(peer.Stack, new IPEndPoint(KernelPeer.StackV4, 5003));
        listener.Start();
        using var client = peer.KernelSocket(AddressFamily.InterNetwork);
        await client.ConnectAsync(new IPEndPoint(KernelPeer.StackV4, 5003)).WaitAsync(Timeout);
        await using var server = await listener.AcceptAsync().AsTask().WaitAsync(Timeout);
        await client.SendAsync("question"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        var q = await TcpBulkTransferTests.ReadAll(server).WaitAsync(Timeout);
        Assert.Equal("question"u8.ToArray(), q);
        await server.WriteAsync(new byte[100_000]);
        server.ShutdownWrite();
        Assert.Equal(100_000, ReadAll(client).Length);

        // We close our sending side first; the kernel still answers.
        using var kernelListener = peer.KernelSocket(AddressFamily.InterNetwork);
        kernelListener.Bind(new IPEndPoint(KernelPeer.KernelV4, 5004));
        kernelListener.Listen();
        var accept = kernelListener.AcceptAsync();
        await using var ours = await TcpConnection.ConnectAsync(peer.Stack, new IPEndPoint(KernelPeer.KernelV4, 5004)).WaitAsync(Timeout);
        using var kernelServer = await accept.WaitAsync(Timeout);
        await ours.WriteAsync("request"u8.ToArray());
        ours.ShutdownWrite();
        Assert.Equal("request"u8.ToArray(), ReadAll(kernelServer));
        kernelServer.Send(new byte[50_000]);
        kernelServer.Shutdown(SocketShutdown.Send);
        Assert.Equal(50_000, (await TcpBulkTransferTests.ReadAll(ours).WaitAsync(Timeout)).Length);
    }

    [SkippableFact]
    public async Task RefusedAndResetAreReportedAsSocketErrors()
    {
        using var peer = new KernelPeer(KernelLink.Tun);
        var e = await Assert.ThrowsAsync<SocketException>(() => TcpConnection.ConnectAsync(peer.Stack, new IPEndPoint(KernelPeer.KernelV4, 5999)).WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);

        using var kernelListener = peer.KernelSocket(AddressFamily.InterNetwork);
        kernelListener.Bind(new IPEndPoint(KernelPeer.KernelV4, 5005));
        kernelListener.Listen();
        var accept = kernelListener.AcceptAsync();
        await using var ours = await TcpConnection.ConnectAsync(peer.Stack, new IPEndPoint(KernelPeer.KernelV4, 5005)).WaitAsync(Timeout);
        var kernelServer = await accept.WaitAsync(Timeout);
        // Linger 0 on the kernel side: close sends RST.
        kernelServer.LingerState = new LingerOption(true, 0);
        kernelServer.Close();
        var io = await Assert.ThrowsAsync<IOException>(async () => { _ = await ours.Stream.ReadAsync(new byte[10]).AsTask().WaitAsync(Timeout); });
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(io.InnerException).SocketErrorCode);
    }

    [SkippableTheory]
    [InlineData("drop=5%,dup=2%,reorder=5%,delay=1ms±1ms,corrupt=1%,seed=7")]
    [InlineData("in.drop=5%,out.drop=5%,seed=11")]
    public async Task TransfersSurviveAFaultyLink(string faults)
    {
        using var peer = new KernelPeer(KernelLink.Tun, faults);
        await TransferBothWays(peer, 2 << 20);
        Assert.True(peer.Tcp.Stats.Retransmits.Value > 0);
    }

    [SkippableTheory]
    [InlineData(KernelLink.Tun)]
    [InlineData(KernelLink.Tap)]
    [InlineData(KernelLink.Veth)]
    public async Task TransfersSurviveLossAndDuplicationOnTheKernelSideWithReorderingDelayAndCorruptionOnOurs(KernelLink link)
    {
        Privileges.RequireTool("nft");
        using var peer = new KernelPeer(link, "reorder=3%,delay=1ms±1ms,dup=1%,corrupt=0.5%,seed=5");
        // 5% loss on the kernel's input and output, 3% of what the device sends duplicated.
        peer.Namespace.Check("nft add table inet faults");
        peer.Namespace.Check("nft 'add chain inet faults in { type filter hook input priority 0; }'");
        peer.Namespace.Check("nft 'add chain inet faults out { type filter hook output priority 0; }'");
        peer.Namespace.Check("nft add rule inet faults in meta l4proto tcp numgen random mod 100 '<' 5 drop");
        peer.Namespace.Check("nft add rule inet faults out meta l4proto tcp numgen random mod 100 '<' 5 drop");
        peer.Namespace.Check("nft add table netdev dupes");
        peer.Namespace.Check($"nft 'add chain netdev dupes egress {{ type filter hook egress device {peer.Device} priority 0; }}'");
        peer.Namespace.Check($"nft add rule netdev dupes egress numgen random mod 100 '<' 3 dup to {peer.Device}");
        await TransferBothWays(peer, 1 << 20);
        Assert.True(peer.Tcp.Stats.Retransmits.Value > 0);
        Assert.True(peer.Faults!.OutboundStats.Corrupted.Value + peer.Faults.InboundStats.Corrupted.Value > 0);
    }

    [SkippableFact]
    public async Task SimultaneousOpenWithTheKernel()
    {
        Privileges.RequireTool("nft");
        using var peer = new KernelPeer(KernelLink.Tun);
        // Both first SYNs are lost, so each side is in SYN-SENT when the other's retransmission arrives:
        // the kernel's pure SYN reaches us first (ours keep being dropped), we answer with SYN-ACK.
        peer.Namespace.Check("nft add table inet sim");
        peer.Namespace.Check("nft 'add chain inet sim in { type filter hook input priority 0; }'");
        peer.Namespace.Check("nft 'add chain inet sim out { type filter hook output priority 0; }'");
        peer.Namespace.Check("nft 'add rule inet sim in tcp dport 6001 tcp flags & (syn | ack) == syn drop'");
        peer.Namespace.Check("nft 'add rule inet sim out tcp dport 6002 tcp flags & (syn | ack) == syn drop'");
        using var kernel = peer.KernelSocket(AddressFamily.InterNetwork);
        kernel.Bind(new IPEndPoint(KernelPeer.KernelV4, 6001));
        var kernelConnect = kernel.ConnectAsync(new IPEndPoint(KernelPeer.StackV4, 6002));
        var ourConnect = TcpConnection.ConnectAsync(peer.Stack, new IPEndPoint(KernelPeer.KernelV4, 6001), new IPEndPoint(KernelPeer.StackV4, 6002));
        await Task.Delay(200);
        Assert.False(ourConnect.IsCompleted);
        peer.Namespace.Check("nft flush chain inet sim out");
        await using var ours = await ourConnect.WaitAsync(Timeout);
        await kernelConnect.WaitAsync(Timeout);
        Assert.Equal(0, peer.Tcp.Stats.PassiveOpens.Value);
        await ours.WriteAsync("from us"u8.ToArray());
        var buffer = new byte[16];
        Assert.Equal(7, await kernel.ReceiveAsync(buffer).WaitAsync(Timeout));
        await kernel.SendAsync("from the kernel"u8.ToArray());
        kernel.Shutdown(SocketShutdown.Send);
        Assert.Equal("from the kernel"u8.ToArray(), await TcpBulkTransferTests.ReadAll(ours).WaitAsync(Timeout));
    }

    [SkippableFact]
    public async Task SynCookieConnectionsCarryWindowScaleSackAndTimestamps()
    {
        using var peer = new KernelPeer(KernelLink.Tun, tcp: new Netstack.Transport.Tcp.TcpProtocolOptions { SynCookies = Netstack.Transport.Tcp.SynCookieMode.Always });
        await TransferBothWays(peer, 2 << 20, (server, _) =>
        {
            var stats = server.GetStatistics();
            Assert.True(stats.SackEnabled && stats.TimestampsEnabled && stats.SendWindowScale > 0 && stats.ReceiveWindowScale > 0, stats.ToString());
        });
        Assert.True(peer.Tcp.Stats.SynCookiesValid.Value >= 1);
        Assert.Equal(0, peer.Tcp.Stats.SynCookiesInvalid.Value);
    }

    [SkippableFact]
    public async Task AThousandConcurrentConnectionsFromUsToAKernelServer()
    {
        using var peer = new KernelPeer(KernelLink.TunVirtio);
        peer.Namespace.Check("ip link set nsk0 txqueuelen 5000");
        using var kernelListener = peer.KernelSocket(AddressFamily.InterNetwork);
        kernelListener.Bind(new IPEndPoint(KernelPeer.KernelV4, 7007));
        kernelListener.Listen(4096);
        var serving = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            for (int i = 0; i < 1000; i++)
            {
                var s = await kernelListener.AcceptAsync();
                handlers.Add(Task.Run(async () =>
                {
                    using (s)
                    {
                        var buffer = new byte[64];
                        int n;
                        while ((n = await s.ReceiveAsync(buffer)) > 0)
                        {
                            await s.SendAsync(buffer.AsMemory(0, n));
                        }
                        s.Shutdown(SocketShutdown.Send);
                    }
                }));
            }
            await Task.WhenAll(handlers);
        });
        var clients = Enumerable.Range(0, 1000).Select(async i =>
        {
            await using var c = await TcpConnection.ConnectAsync(peer.Stack, new IPEndPoint(KernelPeer.KernelV4, 7007));
            var message = BitConverter.GetBytes(i);
            await c.WriteAsync(message);
            c.ShutdownWrite();
            Assert.Equal(message, await TcpBulkTransferTests.ReadAll(c));
        }).ToArray();
        await Task.WhenAll(clients).WaitAsync(Timeout);
        await serving.WaitAsync(Timeout);
        Assert.True(peer.Tcp.Stats.ActiveOpens.Value >= 1000);
    }

    private static async Task TransferBothWays(KernelPeer peer, int size, Action<TcpConnection, Socket>? check = null)
    {
        var upload = RandomBytes(size, 3);
        var download = RandomBytes(size, 4);
        await using var listener = new TcpListener(peer.Stack, new IPEndPoint(KernelPeer.StackV4, 5006));
        listener.Start();
        using var client = peer.KernelSocket(AddressFamily.InterNetwork);
        await client.ConnectAsync(new IPEndPoint(KernelPeer.StackV4, 5006)).WaitAsync(Timeout);
        await using var server = await listener.AcceptAsync().AsTask().WaitAsync(Timeout);
        check?.Invoke(server, client);
        var kernelSends = Task.Run(async () =>
        {
            await client.SendAsync(upload);
            client.Shutdown(SocketShutdown.Send);
        });
        var kernelReads = Task.Run(() => ReadAll(client));
        var ourReads = TcpBulkTransferTests.ReadAll(server);
        await TcpBulkTransferTests.SendAndShutdown(server, download).WaitAsync(Timeout);
        Assert.Equal(SHA256.HashData(upload), SHA256.HashData(await ourReads.WaitAsync(Timeout)));
        Assert.Equal(SHA256.HashData(download), SHA256.HashData(await kernelReads.WaitAsync(Timeout)));
        await kernelSends;
    }

    private static byte[] ReadAll(Socket s)
    {
        var ms = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = s.Receive(buffer)) > 0)
        {
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}
