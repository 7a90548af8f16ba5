using System.Buffers.Binary;

namespace Netstack.Cli.Demo;

/// <summary>
/// UDP echo round trips against the host's udp-echo service, from any UDP client (a kernel socket or a
/// userspace one) given as its send and receive calls: each datagram carries its sequence number and is
/// checked byte for byte on return; late answers to earlier, timed-out requests are skipped.
/// </summary>
internal static class UdpEchoTest
{
    public static Task<DemoResult> RunAsync(
        string name,
        string driver,
        int size,
        int count,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send,
        Func<Memory<byte>, CancellationToken, ValueTask<int>> receive,
        DemoConsole console,
        CancellationToken cancellationToken)
    {
        var request = new byte[size];
        var answer = new byte[size + 1];
        for (int i = 4; i < size; i++)
        {
            request[i] = (byte)(i * 7);
        }
        return RoundTripDriver.RunAsync(name, driver, count, TimeSpan.Zero, async (seq, token) =>
        {
            BinaryPrimitives.WriteInt32BigEndian(request, seq);
            await send(request, token).ConfigureAwait(false);
            while (true)
            {
                int n = await receive(answer, token).ConfigureAwait(false);
                if (n >= 4 && BinaryPrimitives.ReadInt32BigEndian(answer) == seq)
                {
                    return n == size && answer.AsSpan(0, n).SequenceEqual(request);
                }
            }
        }, console, cancellationToken);
    }
}
