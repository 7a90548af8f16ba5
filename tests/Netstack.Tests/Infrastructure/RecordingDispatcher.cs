using System.Collections.Concurrent;
using Netstack.Buffers;
using Netstack.Stack;

namespace Netstack.Tests.Infrastructure;

/// <summary>What a test sees of one delivered packet (copied out, so the packet itself is released).</summary>
public sealed record Delivered(ushort Protocol, byte[] LinkHeader, byte[] Data, LinkAddress Local, LinkAddress Remote, PacketType Type, int ThreadId);

/// <summary>An <see cref="INetworkDispatcher"/> that records every delivery and lets a test wait for them.</summary>
public sealed class RecordingDispatcher : INetworkDispatcher
{
    private readonly BlockingCollection<Delivered> _queue = new();
    private long _count;

    public Action<ushort, PacketBuffer>? OnDeliver { get; set; }

    public long Count => Interlocked.Read(ref _count);

    public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet)
    {
        OnDeliver?.Invoke(protocol, packet);
        _queue.Add(new Delivered(protocol, packet.LinkHeader.ToArray(), packet.DataToArray(), packet.LocalLinkAddress,
            packet.RemoteLinkAddress, packet.PacketType, Environment.CurrentManagedThreadId));
        Interlocked.Increment(ref _count);
    }

    /// <summary>The next delivery, waiting up to <paramref name="seconds"/>; null on timeout.</summary>
    public Delivered? Next(double seconds = 5) =>
        _queue.TryTake(out var d, TimeSpan.FromSeconds(seconds)) ? d : null;

    /// <summary>Waits until <paramref name="count"/> deliveries in all; false on timeout.</summary>
    public bool WaitForCount(long count, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            Thread.Sleep(5);
        }
        return true;
    }

    public List<Delivered> Drain()
    {
        var list = new List<Delivered>();
        while (_queue.TryTake(out var d))
        {
            list.Add(d);
        }
        return list;
    }
}

/// <summary>A dispatcher that only counts (load tests: no per-packet copies).</summary>
public sealed class CountingDispatcher : INetworkDispatcher
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void DeliverNetworkPacket(ushort protocol, PacketBuffer packet) => Interlocked.Increment(ref _count);
}
