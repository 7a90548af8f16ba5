using Netstack.Stack;

namespace Netstack.Tests.Stack;

public class PortManagerTests
{
    private const byte Udp = 17;

    [Fact]
    public void WildcardConflictsWithSpecificOfTheSameFamilyOnly()
    {
        var ports = new PortManager();
        Assert.Equal(TcpipError.None, ports.Reserve(Udp, Address.AnyV4, 7, false, out _));
        Assert.Equal(TcpipError.PortInUse, ports.Reserve(Udp, Address.Parse("10.0.0.2"), 7, false, out _));
        Assert.Equal(TcpipError.None, ports.Reserve(Udp, Address.AnyV6, 7, false, out _));
        Assert.Equal(TcpipError.None, ports.Reserve(6, Address.AnyV4, 7, false, out _));
        ports.Release(Udp, Address.AnyV4, 7);
        Assert.Equal(TcpipError.None, ports.Reserve(Udp, Address.Parse("10.0.0.2"), 7, false, out _));
    }

    [Fact]
    public void ReuseNeedsBothSides()
    {
        var ports = new PortManager();
        Assert.Equal(TcpipError.None, ports.Reserve(Udp, Address.AnyV4, 5353, true, out _));
        Assert.Equal(TcpipError.None, ports.Reserve(Udp, Address.AnyV4, 5353, true, out _));
        Assert.Equal(TcpipError.PortInUse, ports.Reserve(Udp, Address.AnyV4, 5353, false, out _));
    }

    [Fact]
    public void EphemeralPortsComeFromTheRangeUntilItIsExhausted()
    {
        var ports = new PortManager();
        ports.SetEphemeralRange(40000, 40009);
        var got = new HashSet<ushort>();
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(TcpipError.None, ports.Reserve(Udp, Address.AnyV4, 0, false, out ushort p));
            Assert.InRange(p, 40000, 40009);
            got.Add(p);
        }
        Assert.Equal(10, got.Count);
        Assert.Equal(TcpipError.NoPortAvailable, ports.Reserve(Udp, Address.AnyV4, 0, false, out _));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ports.SetEphemeralRange(5, 4));
        Assert.Contains("ephemeral", ex.Message);
    }
}
