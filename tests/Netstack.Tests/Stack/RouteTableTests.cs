using Netstack.Stack;

namespace Netstack.Tests.Stack;

public class RouteTableTests
{
    [Fact]
    public void LongestPrefixWinsThenLowestMetric()
    {
        var table = new RouteTable();
        table.Add(RouteEntry.Default(Address.Parse("10.0.0.1"), 1));
        table.Add(RouteEntry.OnLink(Subnet.Parse("10.0.0.0/24"), 1));
        table.Add(new RouteEntry(Subnet.Parse("10.0.0.0/16"), Address.Parse("10.0.0.254"), 2, Metric: 5));
        table.Add(new RouteEntry(Subnet.Parse("10.0.0.0/16"), Address.Parse("10.0.0.253"), 3, Metric: 1));

        Assert.Equal(Subnet.Parse("10.0.0.0/24"), table.Match(Address.Parse("10.0.0.9")).First().Destination);
        Assert.Equal(3, table.Match(Address.Parse("10.0.9.9")).First().NicId);
        Assert.Equal(2, table.Match(Address.Parse("10.0.9.9"), nicId: 2).First().NicId);
        Assert.True(table.Match(Address.Parse("192.0.2.1")).First().Destination.PrefixLength == 0);
        Assert.Empty(table.Match(Address.Parse("fd00::1")));
    }

    [Fact]
    public void RemoveAllRemovesMatches()
    {
        var table = new RouteTable();
        table.Add(RouteEntry.OnLink(Subnet.Parse("fd00::/64"), 1));
        table.Add(RouteEntry.OnLink(Subnet.Parse("10.0.0.0/8"), 2));
        Assert.Equal(1, table.RemoveAll(r => r.NicId == 1));
        Assert.Single(table.Routes);
    }
}
