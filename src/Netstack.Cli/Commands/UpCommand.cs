using System.CommandLine;
using Netstack.Cli.Host;
using Netstack.Cli.Services;

namespace Netstack.Cli.Commands;

/// <summary>
/// <c>netstack up</c>: a userspace host on a TUN/TAP device or an interface (AF_PACKET) that answers ping and
/// runs the small services, printing its status and counters to stderr until Ctrl+C or SIGTERM.
/// </summary>
internal sealed class UpCommand : ICliCommand
{
    public Command Create()
    {
        var tun = new Option<string?>("--tun") { Description = "Run on TUN device NAME (raw IP); created and set up if it does not exist.", HelpName = "NAME" };
        var tap = new Option<string?>("--tap") { Description = "Run on TAP device NAME (Ethernet); created and set up if it does not exist.", HelpName = "NAME" };
        var packet = new Option<string?>("--packet") { Description = "Run on existing interface IFACE through AF_PACKET sockets (e.g. one end of a veth pair).", HelpName = "IFACE" };
        var mac = new Option<string?>("--mac") { Description = "The host's MAC (TAP: default derived from the device name; AF_PACKET: the interface's).", HelpName = "MAC" };
        var dispatch = new Option<string?>("--dispatch") { Description = "How to read packets: readv, recvmmsg or mmap (the last two with --packet; default recvmmsg there, readv on TUN/TAP).", HelpName = "MODE" };
        var address = new Option<string[]>("--address", "-a") { Description = "An address of the host with its prefix, e.g. 10.0.0.2/24 or fd00::2/64 (repeatable).", HelpName = "ADDR/PREFIX" };
        var gateway = new Option<string[]>("--gateway", "-g") { Description = "A default gateway (repeatable, one per family). Without one, a TUN host routes everything to the device.", HelpName = "IP" };
        var mtu = new Option<int?>("--mtu") { Description = "The MTU (default: the device's). Set on a TUN/TAP device; at most the interface's with --packet.", HelpName = "N" };
        var pcap = new Option<string?>("--pcap") { Description = "Record every packet in and out (as the stack sees it) into a pcap file.", HelpName = "FILE" };
        var serve = new Option<string[]>("--serve", "-s") { Description = $"Services to run, comma-separated: {ServiceKinds.Allowed}.", HelpName = "LIST" };
        var faults = new Option<string?>("--faults") { Description = "Inject faults on the link, e.g. \"drop=5%,dup=1%,reorder=2%,delay=10ms±5ms,rate=100mbit,seed=42\" (see README).", HelpName = "SPEC" };
        var vnet = new Option<string?>("--vnet-hdr") { Description = "Exchange a virtio-net header with the kernel: on or off (default on for TUN/TAP; with --packet it follows --gso).", HelpName = "on|off" };
        var gso = new Option<int?>("--gso") { Description = $"Largest GSO packet handed to the kernel, 0 for none (default {HostOptions.DefaultGsoSize} with the virtio-net header).", HelpName = "BYTES" };
        var fds = new Option<int>("--fds") { Description = $"AF_PACKET sockets in a fanout group, one reader thread each (--packet only; 1..{HostOptions.MaxFds}).", DefaultValueFactory = _ => 1, HelpName = "N" };
        var noDad = new Option<bool>("--no-dad") { Description = "Skip IPv6 duplicate address detection on Ethernet links (addresses work at once)." };
        var interval = new Option<double>("--stats-interval") { Description = "Seconds between live counter lines; 0 for none.", DefaultValueFactory = _ => 5, HelpName = "SECONDS" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only errors and the summary at exit." };
        var backlog = new Option<int>("--backlog") { Description = "Accept queue of the TCP services.", DefaultValueFactory = _ => 1024, HelpName = "N" };
        var txqueuelen = new Option<int?>("--txqueuelen") { Description = "Set the TUN/TAP device's transmit queue: the packets the kernel holds for the host (kernel default 500; a longer one absorbs bursts such as 1,000 SYNs at once).", HelpName = "N" };
        var rcvbuf = new Option<int?>("--rcvbuf") { Description = $"Receive buffer of each AF_PACKET socket (--packet): the frames the kernel holds for the host (default {HostOptions.DefaultReceiveBufferBytes} bytes; 0 for the kernel's 208 KiB).", HelpName = "BYTES" };
        var command = new Command("up", "Bring up a userspace host on a TUN/TAP device or an interface: it answers ping (IPv4 and IPv6) and runs the services named by --serve, printing status and counters to stderr until Ctrl+C or SIGTERM.")
        {
            tun, tap, packet, mac, dispatch, address, gateway, mtu, pcap, serve, faults, vnet, gso, fds, noDad, interval, quiet, backlog, txqueuelen, rcvbuf,
        };
        command.SetAction(parse =>
        {
            var raw = new HostOptions.Raw
            {
                Tun = parse.GetValue(tun),
                Tap = parse.GetValue(tap),
                Packet = parse.GetValue(packet),
                Mac = parse.GetValue(mac),
                Dispatch = parse.GetValue(dispatch),
                Addresses = parse.GetValue(address) ?? [],
                Gateways = parse.GetValue(gateway) ?? [],
                Mtu = parse.GetValue(mtu),
                Pcap = parse.GetValue(pcap),
                Serve = parse.GetValue(serve) ?? [],
                Faults = parse.GetValue(faults),
                VirtioHeader = parse.GetValue(vnet),
                Gso = parse.GetValue(gso),
                Fds = parse.GetValue(fds),
                NoDad = parse.GetValue(noDad),
                StatsInterval = parse.GetValue(interval),
                Quiet = parse.GetValue(quiet),
                Backlog = parse.GetValue(backlog),
                TxQueueLength = parse.GetValue(txqueuelen),
                ReceiveBufferBytes = parse.GetValue(rcvbuf),
            };
            if (!HostOptions.TryCreate(raw, out var options, out var errors))
            {
                foreach (var e in errors)
                {
                    Console.Error.WriteLine($"netstack up: {e}");
                }
                Console.Error.WriteLine("netstack up: see 'netstack up --help'.");
                return 1;
            }
            return HostRunner.Run(options!);
        });
        return command;
    }
}
