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
}
