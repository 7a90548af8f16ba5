using Netstack.Link.FdBased;
using Netstack.Link.PacketSocket;
using Netstack.Link.Tun;

namespace Netstack.Cli.Commands;

/// <summary>The device a link command opens (--packet, --tun or --tap), owning its fd.</summary>
internal sealed class LinkSource : IDisposable
{
    private readonly IDisposable _device;

    private LinkSource(IDisposable device, int fd, bool ethernet, string description)
    {
        _device = device;
        Fd = fd;
        Ethernet = ethernet;
        Description = description;
    }

    public int Fd { get; }

    public bool Ethernet { get; }

    public string Description { get; }

    /// <summary>Opens the one source given; throws ArgumentException when none or several are.</summary>
    public static LinkSource Open(string? packet, string? tun, string? tap, bool seeOutgoing)
    {
        int given = (packet is null ? 0 : 1) + (tun is null ? 0 : 1) + (tap is null ? 0 : 1);
        if (given != 1)
        {
            throw new ArgumentException("Give exactly one of --packet IFACE, --tun NAME, --tap NAME.");
        }
        if (packet is not null)
        {
            var socket = PacketSocket.Open(packet, ignoreOutgoing: !seeOutgoing);
            return new LinkSource(socket, socket.Fd, ethernet: true, $"AF_PACKET on {packet}");
        }
        var mode = tun is not null ? TunMode.Tun : TunMode.Tap;
        var device = TunInterface.Open(tun ?? tap!, mode);
        return new LinkSource(device, device.Fd, mode == TunMode.Tap, $"{mode} {device.Name}");
    }

    /// <summary>Parses --dispatch.</summary>
    public static PacketDispatchMode ParseDispatch(string text) => text switch
    {
        "readv" => PacketDispatchMode.Readv,
        "recvmmsg" => PacketDispatchMode.RecvMmsg,
        "mmap" => PacketDispatchMode.PacketMmap,
        _ => throw new ArgumentException($"--dispatch must be readv, recvmmsg or mmap, not '{text}'."),
    };

    public void Dispose() => _device.Dispose();
}
