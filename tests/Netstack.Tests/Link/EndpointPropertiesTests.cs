using Netstack.Link.FdBased;
using Netstack.Stack;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

/// <summary>gVisor's TestNoEthernetProperties, TestEthernetProperties, TestAddress, plus capabilities.</summary>
public class EndpointPropertiesTests
{
    private static readonly LinkAddress Laddr = LinkAddress.Parse("02:22:33:44:55:66");

    [Fact]
    public void NoEthernetProperties()
    {
        using var pair = new SocketPair();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], Mtu = 1500 });
        Assert.Equal(0, ep.MaxHeaderLength);
        Assert.Equal(1500, ep.Mtu);
        Assert.Equal(ArpHardwareType.None, ep.ArpHardwareType);
        Assert.False(ep.Capabilities.HasFlag(LinkCapabilities.ResolutionRequired));
    }

    [Fact]
    public void EthernetProperties()
    {
        using var pair = new SocketPair();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], Mtu = 1500, EthernetHeader = true });
        Assert.Equal(14, ep.MaxHeaderLength);
        Assert.Equal(1500, ep.Mtu);
        Assert.Equal(ArpHardwareType.Ether, ep.ArpHardwareType);
        Assert.True(ep.Capabilities.HasFlag(LinkCapabilities.ResolutionRequired));
    }

    [Theory]
    [InlineData("")]
    [InlineData("02:00:00:00:00:01")]
    [InlineData("06:0a:0b:0c:0d:0e")]
    public void Address(string text)
    {
        var address = text.Length == 0 ? default : LinkAddress.Parse(text);
        using var pair = new SocketPair();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], Address = address });
        Assert.Equal(address, ep.LinkAddress);
    }

    [Fact]
    public void CapabilityBitsFollowTheOptions()
    {
        using var pair = new SocketPair();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [pair.Local], SaveRestore = true, DisconnectOk = true, TxChecksumOffload = true, RxChecksumOffload = true,
            GsoMaxSize = 32768, Address = Laddr,
        });
        var want = LinkCapabilities.SaveRestore | LinkCapabilities.DisconnectOk | LinkCapabilities.TxChecksumOffload
            | LinkCapabilities.RxChecksumOffload | LinkCapabilities.HardwareGso;
        Assert.Equal(want, ep.Capabilities);
        Assert.Equal(32768, ep.GsoMaxSize);
    }

    [Fact]
    public void SoftwareGsoReplacesHostGso()
    {
        using var pair = new SocketPair();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], GsoMaxSize = 65536, SoftwareGsoEnabled = true });
        Assert.True(ep.Capabilities.HasFlag(LinkCapabilities.SoftwareGso));
        Assert.False(ep.Capabilities.HasFlag(LinkCapabilities.HardwareGso));
    }

    [Fact]
    public void GsoNeedsASocket()
    {
        using var pipe = new Pipe();
        using var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pipe.Read], GsoMaxSize = 32768 });
        Assert.Equal(0, ep.GsoMaxSize);
        Assert.False(ep.Capabilities.HasFlag(LinkCapabilities.HardwareGso));
    }

    [Fact]
    public void FdsAreMadeNonBlockingAndRestoredOnDispose()
    {
        using var pair = new SocketPair();
        int before = Netstack.Interop.FileNative.Fcntl(pair.Local, Netstack.Interop.FileNative.F_GETFL, 0);
        var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local] });
        int during = Netstack.Interop.FileNative.Fcntl(pair.Local, Netstack.Interop.FileNative.F_GETFL, 0);
        ep.Dispose();
        int after = Netstack.Interop.FileNative.Fcntl(pair.Local, Netstack.Interop.FileNative.F_GETFL, 0);
        Assert.Equal(0, before & Netstack.Interop.FileNative.O_NONBLOCK);
        Assert.NotEqual(0, during & Netstack.Interop.FileNative.O_NONBLOCK);
        Assert.Equal(before, after);
    }
}
