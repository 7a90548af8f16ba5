using Netstack.Link.Channel;
using Netstack.Stack;

namespace Netstack.Tests.Stack;

public sealed class RouteCacheTests : IDisposable
{
    private static readonly Address Peer = Address.Parse("10.0.0.1");
    private static readonly Address Us = Address.Parse("10.0.0.2");
    private static readonly Address Far = Address.Parse("192.0.2.9");
    private static readonly Address Peer6 = Address.Parse("2001:db8::1");

    private readonly NetworkStack _stack = new();
    private readonly RouteCache _cache;

    public RouteCacheTests()
    {
        _stack.CreateNic(1, new ChannelEndpoint());
        _stack.CreateNic(2, new ChannelEndpoint());
        _stack.AddAddress(1, AddressWithPrefix.Parse("10.0.0.2/24"));
        _stack.AddAddress(2, AddressWithPrefix.Parse("10.1.0.2/24"));
        _stack.AddAddress(1, AddressWithPrefix.Parse("2001:db8::2/64"));
        _cache = new RouteCache(_stack);
    }

    public void Dispose() => _stack.Dispose();

    [Fact]
    public void TheSameQuestionGetsTheSameRouteWithoutAllocating()
    {
        Assert.Equal(TcpipError.None, _cache.FindRoute(Peer, out var first, Us));
        Assert.Equal(TcpipError.None, _cache.FindRoute(Peer, out var again, Us));
        Assert.Same(first, again);
        _cache.FindRoute(Peer6, out _, default, 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            _cache.FindRoute(Peer, out _, Us);
            _cache.FindRoute(Peer6, out _, default, 1);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void EachArgumentIsPartOfTheQuestion()
    {
        _cache.FindRoute(Peer, out var plain);
        Assert.NotSame(plain, Find(Peer, Us));
        Assert.NotSame(plain, Find(Peer, default, 1));
        Assert.Equal(TcpipError.NetworkUnreachable, _cache.FindRoute(Peer, out _, default, 2));
        AssertAnswersAsTheStack(Peer, default, 0);
    }

    public static TheoryData<string> Changes() =>
    [
        "route added", "route removed", "address added", "address removed", "address state", "nic disabled",
        "nic removed", "destination becomes ours",
    ];

    [Theory]
    [MemberData(nameof(Changes))]
    public void AnythingALookupDependsOnMakesTheCacheAskAgain(string change)
    {
        _stack.AddRoute(new RouteEntry(Subnet.Parse("192.0.2.0/24"), Address.Parse("10.1.0.1"), 2));
        var before = Find(Far);
        Assert.Equal(2, before.Nic.Id);
        switch (change)
        {
            case "route added":
                _stack.AddRoute(new RouteEntry(Subnet.Parse("192.0.2.0/25"), Peer, 1));
                break;
            case "route removed":
                _stack.Routes.RemoveAll(r => r.Destination == Subnet.Parse("192.0.2.0/24"));
                break;
            case "address added":
                _stack.AddAddress(2, AddressWithPrefix.Parse("192.0.2.2/24"));
                break;
            case "address removed":
                _stack.RemoveAddress(2, Address.Parse("10.1.0.2"));
                break;
            case "address state":
                _stack.GetNic(2).Addresses[0].State = AddressState.Tentative;
                break;
            case "nic disabled":
                _stack.DisableNic(2);
                break;
            case "nic removed":
                _stack.RemoveNic(2);
                break;
            case "destination becomes ours":
                _stack.AddAddress(1, AddressWithPrefix.Parse("192.0.2.9/32"));
                break;
        }
        AssertAnswersAsTheStack(Far, default, 0);
        if (_cache.FindRoute(Far, out var after) == TcpipError.None)
        {
            Assert.NotSame(before, after);
        }
    }

    private Route Find(Address remote, Address local = default, int nicId = 0)
    {
        Assert.Equal(TcpipError.None, _cache.FindRoute(remote, out var route, local, nicId));
        return route!;
    }

    private void AssertAnswersAsTheStack(Address remote, Address local, int nicId)
    {
        var cachedError = _cache.FindRoute(remote, out var cached, local, nicId);
        var error = _stack.FindRoute(remote, out var fresh, local, nicId);
        Assert.Equal(error, cachedError);
        Assert.Equal(fresh?.ToString(), cached?.ToString());
        Assert.Equal(fresh?.NextHop, cached?.NextHop);
    }
}
