using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;

namespace Netstack.Cli.Demo;

/// <summary>
/// The demo's own ping from a userspace host (unprivileged mode): echo requests go out through the client
/// stack's IP layer (its routes and source address), the replies are timed by an <see cref="EchoReplyTap"/>
/// on its link.
/// </summary>
internal static class StackPing
{
    public static async Task<DemoResult> RunAsync(NetworkStack client, EchoReplyTap tap, Address target, int count, TimeSpan interval, DemoConsole console, CancellationToken cancellationToken)
    {
        bool v6 = target.IsV6;
        ushort identifier = (ushort)Random.Shared.Next(1, 65536);
        TaskCompletionSource? pending = null;
        int expected = -1;
        void OnReply(bool replyV6, ushort id, ushort seq)
        {
            if (replyV6 == v6 && id == identifier && seq == Volatile.Read(ref expected))
            {
                Volatile.Read(ref pending)?.TrySetResult();
            }
        }
        tap.Reply += OnReply;
        try
        {
            return await RoundTripDriver.RunAsync($"ping {target}", "own probe (stack IP layer)", count, interval, async (i, token) =>
            {
                var error = client.FindRoute(target, out var route);
                if (error != TcpipError.None || route is null)
                {
                    throw new InvalidOperationException($"no route to {target}: {error}");
                }
                var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref pending, answered);
                Volatile.Write(ref expected, (ushort)i);
                var packet = PacketBuffer.Rent(route.MaxHeaderLength, EchoMessage.Size);
                try
                {
                    packet.TryGetContiguousData(out var message);
                    EchoMessage.WriteRequest(message, v6, identifier, (ushort)i);
                    if (v6)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(message[2..], Icmpv6Header.ComputeChecksum(route.LocalAddress, target, message));
                    }
                    error = route.WritePacket(packet, new NetworkHeaderParams(v6 ? (byte)58 : (byte)1));
                }
                finally
                {
                    packet.Release();
                }
                if (error != TcpipError.None)
                {
                    throw new InvalidOperationException($"sending to {target} failed: {error}");
                }
                await answered.Task.WaitAsync(token).ConfigureAwait(false);
                return true;
            }, console, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            tap.Reply -= OnReply;
        }
    }
}
