using System.Net;
using System.Net.Sockets;
using Netstack.Sockets;
using Netstack.Stack;
using Netstack.Transport.Udp;

namespace Netstack.Cli.Services;

/// <summary>
/// UDP echo (RFC 862, port 7): every datagram goes back to its sender unchanged. One socket per host address,
/// so the answer comes from the address the datagram was sent to; each runs one receive-send loop that
/// allocates nothing per datagram.
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

    /// <summary>Binds port 7 on each of <paramref name="addresses"/> and starts answering.</summary>
    /// <exception cref="SocketException">A bind failed.</exception>
    public static UdpEchoService Start(NetworkStack stack, IEnumerable<Address> addresses)
    {
        var service = new UdpEchoService(new ServiceStats("udp-echo"));
        try
        {
            foreach (var address in addresses)
            {
                var socket = new UdpSocket(stack, new IPEndPoint(address.ToIPAddress(), Port));
                service._sockets.Add(socket);
                service._loops.Add(Task.Run(() => service.EchoAsync(socket)));
            }
            return service;
        }
        catch
        {
            service.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
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
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
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
