using System.Net;
using Netstack.Buffers;
using Netstack.Link.Channel;
using Netstack.Network.IPv4;
using Netstack.Sockets;
using Netstack.Stack;
using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>Two stacks joined by a ChannelLink (real time), optionally through seeded faults.</summary>
internal sealed class TwoStacks : IDisposable
{
    public static readonly Address AddressA = Address.V4(10, 0, 0, 1);
    public static readonly Address AddressB = Address.V4(10, 0, 0, 2);

    private readonly ChannelLink _link;

    public TwoStacks(Faults? faults = null, TcpProtocolOptions? options = null, int mtu = 1500)
    {
        A = NewStack(options);
        B = NewStack(options);
        LinkA = new ChannelEndpoint(mtu, capacity: 65536);
        LinkB = new ChannelEndpoint(mtu, capacity: 65536);
        A.CreateNic(1, LinkA);
        B.CreateNic(1, LinkB);
        A.AddAddress(1, new AddressWithPrefix(AddressA, 24));
        B.AddAddress(1, new AddressWithPrefix(AddressB, 24));
        Injected = faults;
        foreach (var stack in new[] { A, B })
        {
            TcpProtocol.From(stack).InternalError += e => Errors.Enqueue(e);
            stack.HandlerFault += (_, e) => Errors.Enqueue(e);
        }
        _link = new ChannelLink(LinkA, LinkB, faults is null ? null : (from, frame) => faults.Filter(from == LinkA ? LinkB : LinkA, frame));
    }

    public NetworkStack A { get; }

    public NetworkStack B { get; }

    public ChannelEndpoint LinkA { get; }

    public ChannelEndpoint LinkB { get; }

    public Faults? Injected { get; }

    public System.Collections.Concurrent.ConcurrentQueue<Exception> Errors { get; } = new();

    public IPEndPoint EndPointB(int port) => new(AddressB.ToIPAddress(), port);

    public void Dispose()
    {
        _link.Dispose();
        A.Dispose();
        B.Dispose();
        LinkA.Dispose();
        LinkB.Dispose();
        Injected?.Dispose();
        if (!Errors.IsEmpty)
        {
            throw new AggregateException("A stack hit internal errors.", Errors);
        }
    }

    private static NetworkStack NewStack(TcpProtocolOptions? options) => new(new StackOptions
    {
        NetworkProtocols = [s => new Ipv4Protocol(s)],
        TransportProtocols = [s => new TcpProtocol(s, options)],
    });

    /// <summary>Seeded drop, duplication and reordering of frames on the cable.</summary>
    internal sealed class Faults : IDisposable
    {
        private readonly Random _random;
        private readonly Lock _gate = new();
        private PacketBuffer? _held;
        private ChannelEndpoint? _heldFor;

        public Faults(int seed, double drop = 0, double duplicate = 0, double reorder = 0)
        {
            _random = new Random(seed);
            Drop = drop;
            Duplicate = duplicate;
            Reorder = reorder;
        }

        public double Drop { get; set; }
        public double Duplicate { get; set; }
        public double Reorder { get; set; }
        public long Dropped;
        public long Duplicated;
        public long Reordered;

        public bool Filter(ChannelEndpoint to, PacketBuffer frame)
        {
            lock (_gate)
            {
                if (_random.NextDouble() < Drop)
                {
                    Dropped++;
                    return false;
                }
                if (_random.NextDouble() < Duplicate)
                {
                    Duplicated++;
                    var copy = PacketBuffer.Rent(0, frame.ToArray());
                    to.InjectFrame(copy);
                    copy.Release();
                }
                if (_held is not null && _heldFor == to)
                {
                    // Deliver this one first, then the one held back.
                    var held = _held;
                    _held = null;
                    var copy = PacketBuffer.Rent(0, frame.ToArray());
                    to.InjectFrame(copy);
                    copy.Release();
                    to.InjectFrame(held);
                    held.Release();
                    return false;
                }
                if (_held is null && _random.NextDouble() < Reorder)
                {
                    Reordered++;
                    _held = PacketBuffer.Rent(0, frame.ToArray());
                    _heldFor = to;
                    return false;
                }
                return true;
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _held?.Release();
                _held = null;
            }
        }
    }
}
