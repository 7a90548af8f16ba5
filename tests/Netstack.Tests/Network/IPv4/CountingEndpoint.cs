using Netstack.Buffers;
using Netstack.Link.Channel;
using Netstack.Stack;

namespace Netstack.Tests.Network.IPv4;

/// <summary>Wraps a <see cref="ChannelEndpoint"/> and records the size of every <see cref="WritePackets"/> batch.</summary>
internal sealed class CountingEndpoint(ChannelEndpoint inner) : ILinkEndpoint
{
    private readonly List<int> _batches = new();

    public ChannelEndpoint Inner { get; } = inner;

    public IReadOnlyList<int> Batches
    {
        get
        {
            lock (_batches)
            {
                return _batches.ToArray();
            }
        }
    }

    public int Mtu => Inner.Mtu;

    public int MaxHeaderLength => Inner.MaxHeaderLength;

    public LinkAddress LinkAddress => Inner.LinkAddress;

    public LinkCapabilities Capabilities => Inner.Capabilities;

    public ArpHardwareType ArpHardwareType => Inner.ArpHardwareType;

    public int GsoMaxSize => Inner.GsoMaxSize;

    public bool IsAttached => Inner.IsAttached;

    public void Attach(INetworkDispatcher? dispatcher) => Inner.Attach(dispatcher);

    public void Wait() => Inner.Wait();

    public void AddHeader(PacketBuffer packet) => Inner.AddHeader(packet);

    public WriteResult WritePackets(ReadOnlySpan<PacketBuffer> packets)
    {
        lock (_batches)
        {
            _batches.Add(packets.Length);
        }
        return Inner.WritePackets(packets);
    }

    public void Dispose() => Inner.Dispose();
}

internal static class ChannelEndpointExtensions
{
    /// <summary>Reads every waiting outbound frame as bytes.</summary>
    public static List<byte[]> DrainToArrays(this ChannelEndpoint link)
    {
        var list = new List<byte[]>();
        while (link.TryReadOutbound() is { } p)
        {
            list.Add(p.ToArray());
            p.Release();
        }
        return list;
    }
}
