using Netstack.Tests.Fuzz;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>Regression tests for what fuzzing found in TCP's receive path.</summary>
public sealed class TcpHostileInputTests : IDisposable
{
    private readonly FuzzHost _host = new(ethernet: true, new FuzzLimits());

    public void Dispose() => _host.Dispose();

    [Theory]
    [InlineData(0, FuzzHost.TcpPort, 0x02)]
    [InlineData(0, FuzzHost.TcpPort, 0x10)]
    [InlineData(1234, 0, 0x02)]
    [InlineData(1234, 0, 0x10)]
    [InlineData(0, FuzzHost.TcpClosedPort, 0x10)]
    public void SegmentsWithPortZeroAreDroppedUnanswered(ushort sourcePort, ushort destinationPort, byte flags)
    {
        // Port 0 is reserved (RFC 6335); answering it (a SYN-ACK or a RST to port 0) only serves scanners.
        long malformed = _host.Tcp.Stats.DroppedMalformed.Value;
        _host.Inject(_host.Frame(Wire.Ipv4(FuzzHost.Peer4, FuzzHost.Us4, Wire.Tcp,
            Wire.TcpSegment(FuzzHost.Peer4, FuzzHost.Us4, sourcePort, destinationPort, 1000, 0, flags, 65535, [], []))));
        Assert.Empty(_host.LastOutput);
        Assert.Equal(malformed + 1, _host.Tcp.Stats.DroppedMalformed.Value);
        _host.CheckInvariants();
    }

    [Theory]
    [InlineData("10.0.0.255", "ff:ff:ff:ff:ff:ff")]
    [InlineData("255.255.255.255", "ff:ff:ff:ff:ff:ff")]
    [InlineData("224.0.0.1", "01:00:5e:00:00:01")]
    [InlineData("10.0.0.2", "ff:ff:ff:ff:ff:ff")]
    public void Ipv4SynToABroadcastOrGroupOpensNothing(string destination, string mac)
    {
        // A listener on the wildcard address saw these; it answered with a SYN-ACK from the broadcast address.
        var dst = Address.Parse(destination);
        long dropped = _host.Tcp.Stats.DroppedNotUnicast.Value;
        _host.Inject(_host.Frame(Wire.Ipv4(FuzzHost.Peer4, dst, Wire.Tcp,
            Wire.TcpSegment(FuzzHost.Peer4, dst, 1234, FuzzHost.TcpPort, 1000, 0, 0x02, 65535, [2, 4, 5, 180], [])),
            LinkAddress.Parse(mac)));
        Assert.Empty(_host.LastOutput);
        Assert.Equal(dropped + 1, _host.Tcp.Stats.DroppedNotUnicast.Value);
        _host.CheckInvariants();
        _host.CheckLiveness();
    }

    [Theory]
    [InlineData("ff02::1")]
    [InlineData("ff15::1234")]
    public void Ipv6SynToAGroupOpensNothing(string destination)
    {
        var dst = Address.Parse(destination);
        long dropped = _host.Tcp.Stats.DroppedNotUnicast.Value;
        _host.Inject(_host.Frame(Wire.Ipv6(FuzzHost.Peer6, dst, Wire.Tcp,
            Wire.TcpSegment(FuzzHost.Peer6, dst, 1234, FuzzHost.TcpPort, 1000, 0, 0x02, 65535, [2, 4, 5, 180], [])),
            LinkAddress.FromIPv6Multicast(dst)));
        Assert.Empty(_host.LastOutput);
        Assert.Equal(dropped + 1, _host.Tcp.Stats.DroppedNotUnicast.Value);
        _host.CheckLiveness();
    }
    [Fact]
    public async Task DataStillGoesWhenThePathMtuFellWithoutAnIcmpErrorTcpTookUp()
    {
        // The fuzz's liveness check found it: a forged "fragmentation needed" quoting a sequence number not in
        // flight is ignored by TCP (RFC 5927) but has lowered the destination's path MTU, so every segment the
        // connection built was refused by IP (MessageTooLong); the sends were rolled back and retried at the old
        // size until the entry expired, and then Nagle held the short tail for good (its end was remembered
        // though it never left, and nothing was in flight to bring an ACK).
        using var host = new TcpTestHost();
        var sc = await ScriptedConnection.ActiveAsync(host);
        host.Ip.LowerPathMtu(host.Stack.GetNic(1), TcpTestHost.Peer, 1000);
        var data = Enumerable.Range(0, 3000).Select(i => (byte)(i * 11)).ToArray();
        await sc.Connection.WriteAsync(data);
        var got = new byte[data.Length];
        int contiguous = 0;
        for (int round = 0; round < 20 && contiguous < data.Length; round++)
        {
            host.Advance(TimeSpan.FromMilliseconds(300));
            foreach (var s in host.ReadAll())
            {
                sc.Remember(s);
                int offset = (int)(s.Seq - (sc.OurIss + 1));
                Assert.True(s.Payload.Length <= 1000 - 20 - 20, $"a {s.Payload.Length}-byte segment on a 1,000-byte path");
                if (offset >= 0 && offset <= contiguous && offset + s.Payload.Length > contiguous)
                {
                    s.Payload.CopyTo(got, offset);
                    contiguous = offset + s.Payload.Length;
                }
            }
            sc.Acknowledge(sc.OurIss + 1 + (uint)contiguous);
        }
        Assert.Equal(data.Length, contiguous);
        Assert.Equal(data, got);
    }
}
