using Netstack.Interop;
using Netstack.Link.PacketSocket;
using Netstack.Link.Tun;

namespace Netstack.Cli.Host;

/// <summary>
/// The device a userspace host runs on, open: a TUN/TAP device (created and set up when it does not exist)
/// or AF_PACKET sockets on an existing interface. Owns the fds; <see cref="Dispose"/> closes them, which
/// removes a TUN/TAP device this process created (it is never made persistent).
/// </summary>
internal sealed unsafe class LinkDevice : IDisposable
{
    private const int PACKET_ADD_MEMBERSHIP = 1;
    private const ushort PACKET_MR_PROMISC = 1;

    private readonly List<IDisposable> _handles;

    private LinkDevice(LinkKind kind, string name, List<IDisposable> handles, IReadOnlyList<int> fds, bool created, int mtu, LinkAddress mac, bool virtioHeader)
    {
        Kind = kind;
        Name = name;
        _handles = handles;
        Fds = fds;
        Created = created;
        Mtu = mtu;
        Mac = mac;
        VirtioHeader = virtioHeader;
    }

    /// <summary>TUN, TAP or AF_PACKET.</summary>
    public LinkKind Kind { get; }

    /// <summary>The interface name.</summary>
    public string Name { get; }

    /// <summary>The fds for the endpoint.</summary>
    public IReadOnlyList<int> Fds { get; }

    /// <summary>True when this process created the TUN/TAP device (it goes away when the fds close).</summary>
    public bool Created { get; }

    /// <summary>The MTU the host uses.</summary>
    public int Mtu { get; }

    /// <summary>The host's MAC (empty on TUN).</summary>
    public LinkAddress Mac { get; }

    /// <summary>Each packet carries a virtio-net header.</summary>
    public bool VirtioHeader { get; }

    /// <summary>The TUN/TAP device's transmit queue length (0 for AF_PACKET).</summary>
    public int TxQueueLength { get; private init; }

    /// <summary>The AF_PACKET sockets' receive buffer as the kernel reports it (0 for TUN/TAP).</summary>
    public int ReceiveBufferBytes { get; private init; }

    /// <summary>Ethernet framing (TAP, AF_PACKET).</summary>
    public bool Ethernet => Kind != LinkKind.Tun;

    /// <summary>What the host's endpoint is built from.</summary>
    public HostLink ToHostLink(HostOptions options) => new()
    {
        Name = Name,
        Description = Kind switch { LinkKind.Tun => "TUN", LinkKind.Tap => "TAP", _ => "AF_PACKET on" },
        Fds = Fds,
        Ethernet = Ethernet,
        Mtu = Mtu,
        Mac = Mac,
        VirtioHeader = VirtioHeader,
        GsoMaxSize = options.GsoMaxSize,
        Dispatch = options.Dispatch,
        TxQueueLength = TxQueueLength,
        ReceiveBufferBytes = ReceiveBufferBytes,
    };

    /// <summary>Opens the device <paramref name="options"/> names; <paramref name="note"/> receives remarks for the operator.</summary>
    /// <exception cref="DeviceException">The device cannot be used; the message says why and what to do.</exception>
    public static LinkDevice Open(HostOptions options, Action<string> note) => options.Kind == LinkKind.Packet
        ? OpenPacket(options, note)
        : OpenTun(options, note);

    /// <summary>A stable, locally administered MAC for a TAP host on <paramref name="device"/> (02:xx:xx:xx:xx:xx).</summary>
    public static LinkAddress DefaultTapMac(string device)
    {
        // FNV-1a of the name: the same device gets the same MAC on every start, so the kernel's neighbour
        // entry for the host stays right across restarts.
        ulong hash = 14695981039346656037;
        foreach (char c in device)
        {
            hash = (hash ^ c) * 1099511628211;
        }
        return LinkAddress.FromUInt64((0x02UL << 40) | (hash & 0xFF_FFFF_FFFF));
    }

    private static LinkDevice OpenTun(HostOptions options, Action<string> note)
    {
        var mode = options.Kind == LinkKind.Tun ? TunMode.Tun : TunMode.Tap;
        string what = options.Kind == LinkKind.Tun ? "TUN" : "TAP";
        string name = options.Device;
        bool existed = InterfaceControl.Exists(name);
        if (existed)
        {
            CheckTunKind(name, mode, what);
        }
        else if (!ProcessCapabilities.NetAdmin)
        {
            throw new DeviceException(
                $"Creating {what} device '{name}' needs CAP_NET_ADMIN, which this process lacks. Run as root " +
                $"(sudo ./netstack up ...), or let root create the device for your user once: " +
                $"sudo ip tuntap add dev {name} mode {mode.ToString().ToLowerInvariant()} user $(id -u) && sudo ip link set {name} up");
        }

        TunInterface device;
        try
        {
            device = TunInterface.Open(name, mode, options.VirtioHeader);
        }
        catch (IOException e)
        {
            throw new DeviceException(existed && !ProcessCapabilities.NetAdmin
                ? $"Attaching to {what} device '{name}' was refused: it belongs to another user and this process lacks CAP_NET_ADMIN ({e.Message})"
                : $"Opening {what} device '{name}' failed: {e.Message}" + (existed ? " Is another process attached to it?" : ""));
        }
        catch (ArgumentException e)
        {
            throw new DeviceException($"--{mode.ToString().ToLowerInvariant()}: {e.Message}");
        }

        try
        {
            if (options.VirtioHeader)
            {
                EnableReceiveOffloads(device, note);
            }
            int mtu = Configure(device.Name, options, created: !existed, note);
            var mac = LinkAddress.Empty;
            if (mode == TunMode.Tap)
            {
                mac = options.Mac.IsEmpty ? DefaultTapMac(device.Name) : options.Mac;
            }
            return new LinkDevice(options.Kind, device.Name, [device], [device.Fd], !existed, mtu, mac, options.VirtioHeader)
            {
                TxQueueLength = InterfaceControl.GetTxQueueLength(device.Name),
            };
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private static LinkDevice OpenPacket(HostOptions options, Action<string> note)
    {
        string name = options.Device;
        if (!InterfaceControl.Exists(name))
        {
            throw new DeviceException(
                $"--packet: there is no interface '{name}' in this network namespace (AF_PACKET uses an existing " +
                $"interface, for example one end of a veth pair: ip link add {name} type veth peer name {name}-peer).");
        }
        if (!ProcessCapabilities.NetRaw)
        {
            throw new DeviceException($"An AF_PACKET socket on '{name}' needs CAP_NET_RAW, which this process lacks: run as root.");
        }
        var sockets = new List<IDisposable>();
        try
        {
            var fds = new List<int>();
            for (int i = 0; i < options.Fds; i++)
            {
                var socket = PacketSocket.Open(name, ignoreOutgoing: true, virtioHeader: options.VirtioHeader, receiveBufferBytes: options.ReceiveBufferBytes);
                sockets.Add(socket);
                fds.Add(socket.Fd);
            }
            int mtu = Configure(name, options, created: false, note);
            var own = InterfaceControl.GetMac(name);
            var mac = options.Mac.IsEmpty ? own : options.Mac;
            if (mac.IsEmpty)
            {
                throw new DeviceException($"--packet: '{name}' has no Ethernet address; give the host one with --mac.");
            }
            if (mac != own)
            {
                // Frames to a MAC that is not the interface's are filtered by a real NIC unless it is promiscuous.
                Promiscuous(fds[0], ((PacketSocket)sockets[0]).InterfaceIndex, name);
            }
            else if (Ipv6Enabled(name) && options.Addresses.Any(a => a.Address.IsV6))
            {
                note($"warning: the kernel runs IPv6 on '{name}' with the same MAC, so it claims the same link-local address " +
                     $"and answers NDP too; for a clean host: sysctl -w net.ipv6.conf.{name}.disable_ipv6=1, or give the host its own --mac");
            }
            return new LinkDevice(LinkKind.Packet, name, sockets, fds, created: false, mtu, mac, options.VirtioHeader)
            {
                ReceiveBufferBytes = ((PacketSocket)sockets[0]).ReceiveBufferBytes,
            };
        }
        catch (IOException e)
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
            throw new DeviceException($"--packet {name}: {e.Message}");
        }
        catch
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
            throw;
        }
    }

    // With the virtio-net header the kernel may hand over TCP super-segments of up to 64 KiB and packets with
    // partial checksums (TUNSETOFFLOAD), as to a virtio NIC: far fewer packets on a bulk transfer towards us.
    private static void EnableReceiveOffloads(TunInterface device, Action<string> note)
    {
        try
        {
            device.EnableReceiveOffloads();
        }
        catch (IOException e)
        {
            note($"warning: receive offloads stay off ({e.Message})");
        }
    }

    // MTU and link state. A device we created gets the MTU asked for (or keeps the kernel's default) and is set
    // up; an existing one keeps its MTU unless --mtu says otherwise (TUN/TAP) or is lower (AF_PACKET).
    private static int Configure(string name, HostOptions options, bool created, Action<string> note)
    {
        int deviceMtu = InterfaceControl.GetMtu(name);
        int mtu = deviceMtu;
        if (options.Mtu != 0 && options.Mtu != deviceMtu)
        {
            if (options.Kind == LinkKind.Packet)
            {
                if (options.Mtu > deviceMtu)
                {
                    throw new DeviceException($"--mtu: {options.Mtu} is above the MTU of '{name}' ({deviceMtu}); allowed: 68..{deviceMtu}, or raise the interface's first (ip link set {name} mtu {options.Mtu}).");
                }
                mtu = options.Mtu;
            }
            else
            {
                SetMtu(name, options.Mtu);
                mtu = options.Mtu;
            }
        }
        if (options.TxQueueLength != 0 && InterfaceControl.GetTxQueueLength(name) != options.TxQueueLength)
        {
            try
            {
                InterfaceControl.SetTxQueueLength(name, options.TxQueueLength);
            }
            catch (IOException e)
            {
                throw new DeviceException($"--txqueuelen {options.TxQueueLength}: {e.Message}");
            }
        }
        if (!InterfaceControl.IsUp(name))
        {
            try
            {
                InterfaceControl.SetUp(name);
            }
            catch (IOException e) when (!created)
            {
                note($"warning: '{name}' is down and could not be set up ({e.Message}); nothing will flow until it is up.");
            }
        }
        return mtu;
    }

    private static void SetMtu(string name, int mtu)
    {
        try
        {
            InterfaceControl.SetMtu(name, mtu);
        }
        catch (IOException e)
        {
            throw new DeviceException($"--mtu {mtu}: {e.Message}");
        }
    }

    // /sys/class/net/NAME/tun_flags exists only for TUN/TAP devices: IFF_TUN (1) or IFF_TAP (2).
    private static void CheckTunKind(string name, TunMode mode, string what)
    {
        string path = $"/sys/class/net/{name}/tun_flags";
        if (!File.Exists(path))
        {
            throw new DeviceException($"'{name}' exists and is not a TUN/TAP device; use --packet {name} for an Ethernet interface, or pick another name.");
        }
        int flags = Convert.ToInt32(File.ReadAllText(path).Trim(), 16);
        bool isTun = (flags & InterfaceNative.IFF_TUN) != 0;
        if (isTun != (mode == TunMode.Tun))
        {
            throw new DeviceException($"'{name}' exists and is a {(isTun ? "TUN" : "TAP")} device, not a {what} device; use --{(isTun ? "tun" : "tap")} {name}.");
        }
    }

    private static bool Ipv6Enabled(string name)
    {
        try
        {
            return File.ReadAllText($"/proc/sys/net/ipv6/conf/{name}/disable_ipv6").Trim() == "0";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void Promiscuous(int fd, int interfaceIndex, string name)
    {
        // struct packet_mreq { int mr_ifindex; unsigned short mr_type, mr_alen; unsigned char mr_address[8]; }
        byte* request = stackalloc byte[16];
        new Span<byte>(request, 16).Clear();
        *(int*)request = interfaceIndex;
        *(ushort*)(request + 4) = PACKET_MR_PROMISC;
        if (SocketNative.SetSockOpt(fd, SocketNative.SOL_PACKET, PACKET_ADD_MEMBERSHIP, request, 16) != 0)
        {
            throw new IOException($"cannot make '{name}' promiscuous for a MAC of its own: errno {FileNative.LastErrno}.");
        }
    }

    /// <summary>Closes the fds (a TUN/TAP device this process created disappears).</summary>
    public void Dispose()
    {
        foreach (var h in _handles)
        {
            h.Dispose();
        }
        _handles.Clear();
    }
}
