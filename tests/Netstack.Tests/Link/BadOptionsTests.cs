using Netstack.Buffers;
using Netstack.Interop;
using Netstack.Link.FdBased;
using Netstack.Tests.Infrastructure;

namespace Netstack.Tests.Link;

/// <summary>Invalid options throw naming the option and what is allowed; a failed creation leaves nothing behind.</summary>
public class BadOptionsTests
{
    [Fact]
    public void NoFds() =>
        Assert.Contains("Fds", Assert.Throws<ArgumentException>(() => new FdBasedEndpoint(new FdBasedEndpointOptions())).Message);

    [Fact]
    public void NegativeFd() =>
        Assert.Equal("Fds", Assert.Throws<ArgumentOutOfRangeException>(() => new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [-1] })).ParamName);

    [Fact]
    public void DuplicateFd()
    {
        using var pair = new SocketPair();
        Assert.Equal("Fds", Assert.Throws<ArgumentException>(() => new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local, pair.Local] })).ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(65536)]
    public void MtuOutOfRange(int mtu)
    {
        using var pair = new SocketPair();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], Mtu = mtu }));
        Assert.Equal("Mtu", e.ParamName);
        Assert.Contains("1..65535", e.Message);
    }

    [Fact]
    public void GsoOutOfRange()
    {
        using var pair = new SocketPair();
        Assert.Equal("GsoMaxSize", Assert.Throws<ArgumentOutOfRangeException>(
            () => new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], GsoMaxSize = 70000 })).ParamName);
    }

    [Fact]
    public void UnknownDispatchMode()
    {
        using var pair = new SocketPair();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local], PacketDispatchMode = (PacketDispatchMode)7 }));
        Assert.Equal("PacketDispatchMode", e.ParamName);
        Assert.Contains("Readv, RecvMmsg, PacketMmap", e.Message);
    }

    [Fact]
    public void MulticastAddress()
    {
        using var pair = new SocketPair();
        Assert.Equal("Address", Assert.Throws<ArgumentException>(() => new FdBasedEndpoint(new FdBasedEndpointOptions
        {
            Fds = [pair.Local], EthernetHeader = true, Address = LinkAddress.Parse("01:00:5e:00:00:01"),
        })).ParamName);
    }

    [Fact]
    public void ClosedFdFailsAndEarlierFdsAreRestored()
    {
        using var pair = new SocketPair();
        int before = FileNative.Fcntl(pair.Local, FileNative.F_GETFL, 0);
        var e = Assert.Throws<ArgumentException>(() => new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local, 987654] }));
        Assert.Contains("987654", e.Message);
        Assert.Equal(before, FileNative.Fcntl(pair.Local, FileNative.F_GETFL, 0));
    }

    [Fact]
    public void UseAfterDisposeThrows()
    {
        using var pair = new SocketPair();
        var ep = new FdBasedEndpoint(new FdBasedEndpointOptions { Fds = [pair.Local] });
        ep.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ep.Attach(new RecordingDispatcher()));
        Assert.Throws<ObjectDisposedException>(() => ep.WritePackets([]));
    }
}
