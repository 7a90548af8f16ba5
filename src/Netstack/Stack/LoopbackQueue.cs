using System.Threading.Channels;
using Netstack.Buffers;

namespace Netstack.Stack;

/// <summary>
/// Delivers packets this host sends to itself. They go through a queue and a thread of their own rather
/// than straight up the stack, so that a sender holding its own locks (a TCP connection) is never
/// re-entered by its peer's reply.
/// </summary>
internal sealed class LoopbackQueue : IDisposable
{
    private readonly Channel<(Nic Nic, PacketBuffer Packet)> _queue =
        Channel.CreateBounded<(Nic, PacketBuffer)>(new BoundedChannelOptions(4096)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });

    private readonly Lock _gate = new();
    private Thread? _thread;

    public bool Enqueue(Nic nic, PacketBuffer packet)
    {
        EnsureStarted();
        return _queue.Writer.TryWrite((nic, packet));
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        Thread? t;
        lock (_gate)
        {
            t = _thread;
        }
        if (t is not null && t != Thread.CurrentThread)
        {
            t.Join(TimeSpan.FromSeconds(5));
        }
        while (_queue.Reader.TryRead(out var item))
        {
            item.Packet.Release();
        }
    }

    private void EnsureStarted()
    {
        if (_thread is not null)
        {
            return;
        }
        lock (_gate)
        {
            _thread ??= StartThread();
        }
    }

    private Thread StartThread()
    {
        var t = new Thread(Run) { IsBackground = true, Name = "netstack-loopback" };
        t.Start();
        return t;
    }

    private void Run()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var item))
            {
                try
                {
                    item.Nic.DeliverNetworkPacket(item.Packet.NetworkProtocol, item.Packet);
                }
                finally
                {
                    item.Packet.Release();
                }
            }
        }
    }
}
