using System.CommandLine;
using System.Diagnostics;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Link.FdBased;
using Netstack.Link.Sniffer;

namespace Netstack.Cli.Commands;

/// <summary><c>netstack replay</c>: sends the frames of an Ethernet pcap through the endpoint's WritePackets.</summary>
internal sealed class ReplayCommand : ICliCommand
{
    private const int Batch = 32;

    public Command Create()
    {
        var packet = new Option<string?>("--packet") { Description = "Send on an interface through an AF_PACKET socket." };
        var tap = new Option<string?>("--tap") { Description = "Send into a TAP device (created if missing)." };
        var file = new Argument<FileInfo>("FILE.pcap") { Description = "A pcap file of Ethernet frames." };
        var command = new Command("replay", "Send the frames of a pcap file on a device (summary on stderr).") { packet, tap, file };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(packet) is null) == (result.GetValue(tap) is null))
            {
                result.AddError("Give exactly one of --packet IFACE, --tap NAME.");
            }
        });
        command.SetAction((parse, token) => Task.FromResult(Run(parse.GetValue(packet), parse.GetValue(tap), parse.GetValue(file)!, token)));
        return command;
    }

    private static int Run(string? packet, string? tap, FileInfo file, CancellationToken token)
    {
        try
        {
            using var reader = new PcapReader(file.OpenRead());
            if (reader.LinkType != PcapWriter.LinkTypeEthernet)
            {
                Console.Error.WriteLine($"replay: {file.Name} has link type {reader.LinkType}; only Ethernet (1) can be replayed.");
                return 1;
            }
            using var source = LinkSource.Open(packet, null, tap, seeOutgoing: false);
            using var endpoint = new FdBasedEndpoint(new FdBasedEndpointOptions
            {
                Fds = [source.Fd], EthernetHeader = true, Mtu = 65535, Name = "replay",
            });
            var clock = Stopwatch.StartNew();
            var pending = new List<PacketBuffer>(Batch);
            long frames = 0;
            long skipped = 0;
            for (var frame = reader.ReadNext(); frame is not null && !token.IsCancellationRequested; frame = reader.ReadNext())
            {
                var pkt = PacketBuffer.Rent(0, frame);
                // The frame already has its Ethernet header: mark it consumed so the endpoint adds none.
                if (!pkt.TryConsumeHeader(HeaderKind.Link, EthernetHeader.Size, out _))
                {
                    skipped++;
                    pkt.Release();
                    continue;
                }
                pending.Add(pkt);
                frames++;
                if (pending.Count == Batch)
                {
                    Send(endpoint, pending, token);
                }
            }
            Send(endpoint, pending, token);
            Console.Error.WriteLine($"replay: {frames} frames read, {skipped} too short to send, in {clock.Elapsed.TotalSeconds:F2}s");
            Console.Error.WriteLine($"replay: link: {endpoint.Statistics}");
            return endpoint.Statistics.PacketsSent == frames ? 0 : 1;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"replay: {e.Message}");
            return 1;
        }
    }

    // Writes the batch, waiting and retrying while the fd would block.
    private static void Send(FdBasedEndpoint endpoint, List<PacketBuffer> pending, CancellationToken token)
    {
        int start = 0;
        while (start < pending.Count && !token.IsCancellationRequested)
        {
            var result = endpoint.WritePackets(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending)[start..]);
            start += result.Written;
            if (result.Error is TcpipError.WouldBlock or TcpipError.NoBufferSpace)
            {
                Thread.Sleep(1);
            }
            else if (!result.Ok)
            {
                Console.Error.WriteLine($"replay: a frame was refused: {result.Error}");
                start++;
            }
        }
        foreach (var pkt in pending)
        {
            pkt.Release();
        }
        pending.Clear();
    }
}
