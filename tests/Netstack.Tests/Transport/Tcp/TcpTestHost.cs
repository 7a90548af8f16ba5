using Microsoft.Extensions.Time.Testing;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Link.Channel;
using Netstack.Network.IPv4;
using Netstack.Stack;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>
/// One stack on an in-memory link with a fake clock, and a scripted peer: the test injects the peer's
/// segments and reads what the stack sends, one segment at a time.
/// </summary>
internal sealed class TcpTestHost : IDisposable
{
    public static readonly Address Local = Address.V4(10, 0, 0, 1);
    public static readonly Address Peer = Address.V4(10, 0, 0, 2);

    public TcpTestHost(TcpProtocolOptions? options = null, int mtu = 1500, LinkCapabilities capabilities = LinkCapabilities.None, bool fakeTime = true, bool hostGso = false)
    {
        Time = fakeTime ? new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) : null;
        Stack = new NetworkStack(new StackOptions
        {
            TimeProvider = (TimeProvider?)Time ?? TimeProvider.System,
            NetworkProtocols = [s => new Ipv4Protocol(s)],
            TransportProtocols = [s => new TcpProtocol(s, options)],
        });
        Ip = (Ipv4Protocol)Stack.GetNetworkProtocol(NetworkProtocolNumber.IPv4)!;
        Tcp = TcpProtocol.From(Stack);
        Link = new ChannelEndpoint(mtu, default, capabilities);
        Gso = hostGso ? new GsoEmulatingLink(Link) : null;
        Stack.CreateNic(1, (ILinkEndpoint?)Gso ?? Link);
        Stack.AddAddress(1, new AddressWithPrefix(Local, 24));
        Tcp.InternalError += e => Faults.Enqueue(e);
        Stack.HandlerFault += (_, e) => Faults.Enqueue(e);
    }

    /// <summary>Bugs caught on the packet path or in timer callbacks; Dispose fails the test if any.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<Exception> Faults { get; } = new();

    public FakeTimeProvider? Time { get; }

    public NetworkStack Stack { get; }

    public TcpProtocol Tcp { get; }

    public Ipv4Protocol Ip { get; }

    public ChannelEndpoint Link { get; }

    public GsoEmulatingLink? Gso { get; }

    public void Inject(TestSegment segment) => Assert.True(Link.InjectFrame(segment.ToFrame()));

    public TestSegment? TryRead()
    {
        var p = Link.TryReadOutbound();
        if (p is null)
        {
            return null;
        }
        try
        {
            return TestSegment.FromFrame(p.ToArray());
        }
        finally
        {
            p.Release();
        }
    }

    public TestSegment Read()
    {
        var s = TryRead();
        Assert.True(s is not null, "expected the stack to send a segment");
        return s!;
    }

    /// <summary>Waits (real time) for a segment, for sends that happen on another thread.</summary>
    public async Task<TestSegment> ReadAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        var p = await Link.ReadOutboundAsync(cts.Token);
        try
        {
            return TestSegment.FromFrame(p.ToArray());
        }
        finally
        {
            p.Release();
        }
    }

    public List<TestSegment> ReadAll()
    {
        var list = new List<TestSegment>();
        while (TryRead() is { } s)
        {
            list.Add(s);
        }
        return list;
    }

    public void AssertNothingSent()
    {
        var s = TryRead();
        Assert.True(s is null, $"expected silence, got {s}");
    }

    public void Advance(TimeSpan by) => Time!.Advance(by);

    /// <summary>Advances the fake clock in steps of at most <paramref name="step"/>.</summary>
    public void AdvanceInSteps(TimeSpan total, TimeSpan step)
    {
        for (var t = TimeSpan.Zero; t < total; t += step)
        {
            Time!.Advance(step);
        }
    }

    public void Dispose()
    {
        Stack.Dispose();
        Link.Dispose();
        if (!Faults.IsEmpty)
        {
            throw new AggregateException("The stack hit internal errors.", Faults);
        }
    }
}
