using System.Net;
using System.Net.Sockets;
using Netstack.Sockets;
using Netstack.Stack;
using Netstack.Transport.Udp;

namespace Netstack.Cli.Services;

/// <summary>
/// UDP echo (RFC 862, port 7): every datagram goes back to its sender unchanged. A socket per host address
/// answers from that address; a wildcard socket per family catches the rest (link-local and autoconfigured
/// addresses, an address still in duplicate address detection when the service started) and answers from the
/// source the routes pick. Each socket runs one receive-send loop that allocates nothing per datagram.
/// </summary>
internal sealed class UdpEchoService : IAsyncDisposable
{
    /// <summary>The port.</summary>
    public const int Port = 7;

    private readonly List<UdpSocket> _sockets = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();

    private UdpEchoService(ServiceStats stats) => Stats = stats;

    /// <summary>The service's counters.</summary>
    public ServiceStats Stats { get; }

    /// <summary>Binds port 7 on the wildcard address of each family in <paramref name="addresses"/> and on each address, and starts answering.</summary>
    /// <exception cref="SocketException">A bind failed (the port is taken).</exception>
    public static UdpEchoService Start(NetworkStack stack, IReadOnlyList<Address> addresses)
    {
        var service = new UdpEchoService(new ServiceStats("udp-echo"));
        try
        {
            foreach (var any in new[] { Address.AnyV4, Address.AnyV6 })
            {
                if (addresses.Any(a => a.Length == any.Length))
                {
                    service.Listen(stack, any);
                }
            }
            foreach (var address in addresses)
            {
                try
                {
                    service.Listen(stack, address);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
                {
                    // Tentative (duplicate address detection): the wildcard socket answers for it.
                }
            }
            return service;
        }
        catch
        {
            service.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    private void Listen(NetworkStack stack, Address address)
    {
        var ip = address.ToIPAddress();
        var socket = new UdpSocket(stack, ip.AddressFamily) { ReuseAddress = true };
        try
        {
            socket.Bind(new IPEndPoint(ip, Port));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _sockets.Add(socket);
        _loops.Add(Task.Run(() => EchoAsync(socket)));
    }

    private async Task EchoAsync(UdpSocket socket)
    {
        var token = _stop.Token;
        var buffer = GC.AllocateUninitializedArray<byte>(UdpProtocol.MaxIPv6Payload, pinned: true);
        var peer = new SocketAddress(socket.AddressFamily);
        while (!token.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await socket.ReceiveFromAsync(buffer, SocketFlags.None, peer, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException
                || e is SocketException { SocketErrorCode: SocketError.OperationAborted })
            {
                return;
            }
            catch (SocketException)
            {
                // A pending ICMP error about an earlier peer (port unreachable...): nothing to answer.
                Stats.Error();
                continue;
            }
            Stats.Datagram();
            Stats.Received(n);
            try
            {
                await socket.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, peer, token).ConfigureAwait(false);
                Stats.Sent(n);
            }
            catch (SocketException)
            {
                Stats.Error();
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    /// <summary>Stops the loops and closes the sockets.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        foreach (var s in _sockets)
        {
            s.Dispose();
        }
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stop.Dispose();
    }
}
