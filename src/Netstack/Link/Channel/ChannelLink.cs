using Netstack.Buffers;

namespace Netstack.Link.Channel;

/// <summary>
/// Joins two <see cref="ChannelEndpoint"/>s like a cable, for unit tests with two stacks: a thread per
/// direction copies each frame one side writes into the other side's receive path. Frames cross
/// asynchronously, so a sender is never re-entered by its peer's reply. An optional filter may drop or
/// alter frames (for loss and corruption in tests).
/// </summary>
public sealed class ChannelLink : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _pumps;
    private long _carried;

    /// <summary>Connects <paramref name="a"/> and <paramref name="b"/>.</summary>
    /// <param name="a">One end.</param>
    /// <param name="b">The other end.</param>
    /// <param name="filter">Called for each frame (source end, frame bytes); false drops it.</param>
    public ChannelLink(ChannelEndpoint a, ChannelEndpoint b, Func<ChannelEndpoint, PacketBuffer, bool>? filter = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        _pumps = [Start(a, b, filter), Start(b, a, filter)];
    }

    /// <summary>Frames carried, both directions.</summary>
    public long FramesCarried => Interlocked.Read(ref _carried);

    /// <summary>Stops both directions.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        foreach (var t in _pumps)
        {
            t.Join(TimeSpan.FromSeconds(5));
        }
        _stop.Dispose();
    }

    private Thread Start(ChannelEndpoint from, ChannelEndpoint to, Func<ChannelEndpoint, PacketBuffer, bool>? filter)
    {
        var t = new Thread(() => Pump(from, to, filter)) { IsBackground = true, Name = "channel-link" };
        t.Start();
        return t;
    }

    private void Pump(ChannelEndpoint from, ChannelEndpoint to, Func<ChannelEndpoint, PacketBuffer, bool>? filter)
    {
        try
        {
            while (true)
            {
                var frame = from.ReadOutboundAsync(_stop.Token).AsTask().GetAwaiter().GetResult();
                try
                {
                    // The receiver gets a fresh receive-shaped packet: all bytes as data, no headers recorded.
                    var copy = PacketBuffer.Rent(0, frame.Size);
                    copy.TryGetContiguousData(out var bytes);
                    frame.CopyTo(bytes);
                    try
                    {
                        if (filter is null || filter(from, copy))
                        {
                            to.InjectFrame(copy);
                            Interlocked.Increment(ref _carried);
                        }
                    }
                    finally
                    {
                        copy.Release();
                    }
                }
                finally
                {
                    frame.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
        }
    }
}
