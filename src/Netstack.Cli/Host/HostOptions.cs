using Netstack.Cli.Services;
using Netstack.Link.FaultInjection;
using Netstack.Link.FdBased;

namespace Netstack.Cli.Host;

/// <summary>
/// What <c>netstack up</c> was asked to run, checked as a whole: each problem is reported naming the option
/// and the values it allows.
/// </summary>
internal sealed record HostOptions
{
    /// <summary>Default largest GSO packet with the virtio-net header on.</summary>
    public const int DefaultGsoSize = 65536;

    /// <summary>Most AF_PACKET sockets one host opens (one reader thread each).</summary>
    public const int MaxFds = 16;

    /// <summary>The kind of device.</summary>
    public required LinkKind Kind { get; init; }

    /// <summary>The TUN/TAP device or interface name.</summary>
    public required string Device { get; init; }

    /// <summary>The host's MAC (TAP, AF_PACKET); empty: the default for the kind.</summary>
    public LinkAddress Mac { get; init; }

    /// <summary>How inbound packets are read.</summary>
    public PacketDispatchMode Dispatch { get; init; } = PacketDispatchMode.Readv;

    /// <summary>The host's addresses.</summary>
    public IReadOnlyList<AddressWithPrefix> Addresses { get; init; } = [];

    /// <summary>Default gateways (one per family at most matters; all are added).</summary>
    public IReadOnlyList<Address> Gateways { get; init; } = [];

    /// <summary>The MTU asked for; 0: the device's.</summary>
    public int Mtu { get; init; }

    /// <summary>A pcap file to record every packet in and out, or null.</summary>
    public string? PcapFile { get; init; }

    /// <summary>The services to run.</summary>
    public ServiceKind Services { get; init; }

    /// <summary>Faults to inject on the link, or null.</summary>
    public FaultOptions? Faults { get; init; }

    /// <summary>Exchange a virtio-net header with the device (TUN/TAP: IFF_VNET_HDR; AF_PACKET: PACKET_VNET_HDR).</summary>
    public bool VirtioHeader { get; init; }

    /// <summary>Largest GSO packet handed to the kernel; 0 without GSO.</summary>
    public int GsoMaxSize { get; init; }

    /// <summary>AF_PACKET sockets (PACKET_FANOUT_HASH), each with its own reader thread.</summary>
    public int Fds { get; init; } = 1;

    /// <summary>Run duplicate address detection for IPv6 addresses on Ethernet links.</summary>
    public bool DuplicateAddressDetection { get; init; } = true;

    /// <summary>Seconds between live counter lines; 0 for none.</summary>
    public double StatsInterval { get; init; } = 5;

    /// <summary>Print only errors and the final summary.</summary>
    public bool Quiet { get; init; }

    /// <summary>Accept queue of the TCP services.</summary>
    public int Backlog { get; init; } = 1024;

    /// <summary>The TUN/TAP device's transmit queue length to set (packets the kernel holds for us); 0 leaves it.</summary>
    public int TxQueueLength { get; init; }

    /// <summary>
    /// SO_RCVBUF of each AF_PACKET socket in bytes (--packet): the kernel's queue for our reader, whose default
    /// (net.core.rmem_default, 208 KiB) overflows under a burst such as 1,000 SYNs; 0 leaves the kernel's default.
    /// </summary>
    public int ReceiveBufferBytes { get; init; } = DefaultReceiveBufferBytes;

    /// <summary>The default of <see cref="ReceiveBufferBytes"/>.</summary>
    public const int DefaultReceiveBufferBytes = 4 << 20;

    /// <summary>The largest <see cref="ReceiveBufferBytes"/> (the kernel doubles it and keeps it in an int).</summary>
    public const int MaxReceiveBufferBytes = 1 << 30;

    /// <summary>The raw values of the command line, before checking.</summary>
    internal sealed record Raw
    {
        public string? Tun { get; init; }

        public string? Tap { get; init; }

        public string? Packet { get; init; }

        public string? Mac { get; init; }

        public string? Dispatch { get; init; }

        public IReadOnlyList<string> Addresses { get; init; } = [];

        public IReadOnlyList<string> Gateways { get; init; } = [];

        public int? Mtu { get; init; }

        public string? Pcap { get; init; }

        public IReadOnlyList<string> Serve { get; init; } = [];

        public string? Faults { get; init; }

        public string? VirtioHeader { get; init; }

        public int? Gso { get; init; }

        public int Fds { get; init; } = 1;

        public bool NoDad { get; init; }

        public double StatsInterval { get; init; } = 5;

        public bool Quiet { get; init; }

        public int Backlog { get; init; } = 1024;

        public int? TxQueueLength { get; init; }

        public int? ReceiveBufferBytes { get; init; }
    }

    /// <summary>Checks <paramref name="raw"/>; on failure <paramref name="errors"/> has one line per problem.</summary>
    public static bool TryCreate(Raw raw, out HostOptions? options, out List<string> errors)
    {
        errors = [];
        options = null;
        int given = (raw.Tun is null ? 0 : 1) + (raw.Tap is null ? 0 : 1) + (raw.Packet is null ? 0 : 1);
        if (given != 1)
        {
            errors.Add("Give exactly one device: --tun NAME, --tap NAME or --packet IFACE.");
            return false;
        }
        var kind = raw.Tun is not null ? LinkKind.Tun : raw.Tap is not null ? LinkKind.Tap : LinkKind.Packet;
        string device = raw.Tun ?? raw.Tap ?? raw.Packet!;
        string option = kind switch { LinkKind.Tun => "--tun", LinkKind.Tap => "--tap", _ => "--packet" };
        if (device.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(device) > 15 || device.Contains('/') || device.Any(char.IsWhiteSpace))
        {
            errors.Add($"{option}: '{device}' is not an interface name (1..15 bytes, no '/' or spaces).");
        }

        var mac = LinkAddress.Empty;
        if (raw.Mac is not null)
        {
            if (kind == LinkKind.Tun)
            {
                errors.Add("--mac: a TUN device carries no Ethernet header; --mac applies to --tap and --packet.");
            }
            else if (!LinkAddress.TryParse(raw.Mac, out mac) || mac.IsEmpty)
            {
                errors.Add($"--mac: '{raw.Mac}' is not a MAC address; allowed: six hex bytes such as 02:00:00:00:00:02.");
            }
            else if (mac.IsGroup)
            {
                errors.Add($"--mac: {raw.Mac} has the group (multicast) bit set; allowed: a unicast MAC such as 02:00:00:00:00:02.");
            }
        }

        var dispatch = kind == LinkKind.Packet ? PacketDispatchMode.RecvMmsg : PacketDispatchMode.Readv;
        switch (raw.Dispatch)
        {
            case null:
                break;
            case "readv":
                dispatch = PacketDispatchMode.Readv;
                break;
            case "recvmmsg" or "mmap" when kind != LinkKind.Packet:
                errors.Add($"--dispatch: {raw.Dispatch} needs an AF_PACKET socket (--packet); a TUN/TAP device is read with readv.");
                break;
            case "recvmmsg":
                dispatch = PacketDispatchMode.RecvMmsg;
                break;
            case "mmap":
                dispatch = PacketDispatchMode.PacketMmap;
                break;
            default:
                errors.Add($"--dispatch: '{raw.Dispatch}' is not a dispatch mode; allowed: readv, recvmmsg, mmap.");
                break;
        }

        var addresses = new List<AddressWithPrefix>();
        if (raw.Addresses.Count == 0)
        {
            errors.Add("--address: give at least one, for example --address 10.0.0.2/24 --address fd00::2/64.");
        }
        foreach (var text in raw.Addresses)
        {
            AddressWithPrefix a;
            try
            {
                a = AddressWithPrefix.Parse(text);
            }
            catch (FormatException e)
            {
                errors.Add($"--address: '{text}' is not ADDRESS/PREFIX ({e.Message.TrimEnd('.')}); for example 10.0.0.2/24 or fd00::2/64.");
                continue;
            }
            if (a.Address.IsUnspecified || a.Address.IsMulticast || a.Address.IsLimitedBroadcast || a.Address.IsLoopback)
            {
                errors.Add($"--address: {text} cannot be a host address (unspecified, multicast, broadcast or loopback).");
            }
            else if (addresses.Any(x => x.Address == a.Address))
            {
                errors.Add($"--address: {a.Address} is given twice.");
            }
            else
            {
                addresses.Add(a);
            }
        }

        var gateways = new List<Address>();
        foreach (var text in raw.Gateways)
        {
            if (!Address.TryParse(text, out var g) || g.IsUnspecified || g.IsMulticast || g.IsLimitedBroadcast)
            {
                errors.Add($"--gateway: '{text}' is not a unicast IPv4 or IPv6 address.");
                continue;
            }
            if (!addresses.Any(a => a.Address.Length == g.Length))
            {
                errors.Add($"--gateway: {g} is {(g.IsV4 ? "IPv4" : "IPv6")} but no --address of that family is given.");
                continue;
            }
            gateways.Add(g);
        }

        int mtu = raw.Mtu ?? 0;
        if (raw.Mtu is { } m && (m < 68 || m > FdBasedEndpointOptions.MaxMtu))
        {
            errors.Add($"--mtu: {m} is out of range; allowed: 68..{FdBasedEndpointOptions.MaxMtu}.");
        }
        else if (raw.Mtu is < 1280 && addresses.Any(a => a.Address.IsV6))
        {
            errors.Add($"--mtu: {raw.Mtu} is below 1280, the IPv6 minimum (RFC 8200 section 5); allowed with IPv6: 1280..{FdBasedEndpointOptions.MaxMtu}.");
        }

        if (!ServiceKinds.TryParse(raw.Serve, out var services, out string? serveError))
        {
            errors.Add(serveError!);
        }

        FaultOptions? faults = null;
        if (raw.Faults is not null)
        {
            if (!FaultOptions.TryParse(raw.Faults, out faults, out string? faultError))
            {
                errors.Add($"--faults: {faultError}");
            }
            else if (!faults.IsActive && faults.Seed is null)
            {
                faults = null;
            }
        }

        // The virtio-net header is on by default everywhere but on a PACKET_MMAP ring, whose frames are sized for
        // the MTU: the kernel's 64 KiB GSO packets would not fit in them.
        bool ring = kind == LinkKind.Packet && dispatch == PacketDispatchMode.PacketMmap;
        bool virtio = !ring;
        switch (raw.VirtioHeader)
        {
            case null:
                break;
            case "on":
                virtio = true;
                break;
            case "off":
                virtio = false;
                break;
            default:
                errors.Add($"--vnet-hdr: '{raw.VirtioHeader}' is not allowed; allowed: on, off.");
                break;
        }
        int gso = raw.Gso ?? (virtio ? DefaultGsoSize : 0);
        if (gso < 0 || gso > FdBasedEndpointOptions.MaxGsoSize)
        {
            errors.Add($"--gso: {gso} is out of range; allowed: 0 (off) or up to {FdBasedEndpointOptions.MaxGsoSize} bytes.");
        }
        else if (ring && (gso != 0 || virtio))
        {
            errors.Add("--gso/--vnet-hdr: --dispatch mmap reads a PACKET_MMAP ring whose frames are sized for the MTU, too small for the " +
                       "kernel's 64 KiB GSO packets; use --dispatch recvmmsg (the default) for GSO, or leave GSO off with mmap.");
        }
        else if (gso != 0 && !virtio)
        {
            errors.Add("--gso: GSO needs the virtio-net header; use --vnet-hdr on or --gso 0.");
        }
        if (kind == LinkKind.Packet)
        {
            // An AF_PACKET socket carries the virtio-net header (PACKET_VNET_HDR) exactly when it hands GSO packets to the kernel.
            if (raw.VirtioHeader == "on" && gso == 0 && !ring)
            {
                errors.Add("--vnet-hdr: with --packet the virtio-net header comes with GSO; drop --gso 0 or use --vnet-hdr off.");
            }
            virtio = gso != 0;
        }

        if (raw.Fds < 1 || raw.Fds > MaxFds)
        {
            errors.Add($"--fds: {raw.Fds} is out of range; allowed: 1..{MaxFds}.");
        }
        else if (raw.Fds != 1 && kind != LinkKind.Packet)
        {
            errors.Add("--fds: several fds need --packet (AF_PACKET fanout); a TUN/TAP device is opened once.");
        }
        if (double.IsNaN(raw.StatsInterval) || raw.StatsInterval < 0 || raw.StatsInterval > 86400)
        {
            errors.Add($"--stats-interval: {raw.StatsInterval} is out of range; allowed: 0 (off) to 86400 seconds.");
        }
        if (raw.Backlog < 1 || raw.Backlog > 65535)
        {
            errors.Add($"--backlog: {raw.Backlog} is out of range; allowed: 1..65535.");
        }
        if (raw.TxQueueLength is { } q)
        {
            if (kind == LinkKind.Packet)
            {
                errors.Add("--txqueuelen: applies to --tun and --tap (the queue the kernel keeps for the device's reader).");
            }
            else if (q < 1 || q > 1_000_000)
            {
                errors.Add($"--txqueuelen: {q} is out of range; allowed: 1..1000000 packets.");
            }
        }
        if (raw.ReceiveBufferBytes is { } rcvbuf)
        {
            if (kind != LinkKind.Packet)
            {
                errors.Add("--rcvbuf: applies to --packet (the receive buffer of the AF_PACKET sockets; TUN/TAP have --txqueuelen).");
            }
            else if (rcvbuf < 0 || rcvbuf > MaxReceiveBufferBytes)
            {
                errors.Add($"--rcvbuf: {rcvbuf} is out of range; allowed: 0 (the kernel's default) to {MaxReceiveBufferBytes} bytes.");
            }
        }
        if (raw.Pcap is { Length: 0 })
        {
            errors.Add("--pcap: give a file name.");
        }

        if (errors.Count != 0)
        {
            return false;
        }
        options = new HostOptions
        {
            Kind = kind,
            Device = device,
            Mac = mac,
            Dispatch = dispatch,
            Addresses = addresses,
            Gateways = gateways,
            Mtu = mtu,
            PcapFile = raw.Pcap,
            Services = services,
            Faults = faults,
            VirtioHeader = virtio,
            GsoMaxSize = gso,
            Fds = raw.Fds,
            DuplicateAddressDetection = !raw.NoDad,
            StatsInterval = raw.StatsInterval,
            Quiet = raw.Quiet,
            Backlog = raw.Backlog,
            TxQueueLength = raw.TxQueueLength ?? 0,
            ReceiveBufferBytes = raw.ReceiveBufferBytes ?? DefaultReceiveBufferBytes,
        };
        return true;
    }
}
