using System.Net;
using System.Net.Sockets;
using Netstack.Sockets;

namespace Netstack.Tests.Sockets;

public class EndPointConverterTests
{
    [Fact]
    public void IPv4RoundTrip()
    {
        var ep = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5353);
        var full = EndPointConverter.ToFullAddress(ep, AddressFamily.InterNetwork);
        Assert.Equal(new FullAddress(Address.Parse("10.0.0.2"), 5353), full);
        Assert.Equal(ep, EndPointConverter.ToIPEndPoint(full));
    }

    [Fact]
    public void IPv6ScopeIdIsTheNic()
    {
        var ep = new IPEndPoint(IPAddress.Parse("fe80::1%3"), 53);
        var full = EndPointConverter.ToFullAddress(ep, AddressFamily.InterNetworkV6);
        Assert.Equal(3, full.NicId);
        Assert.Equal(Address.Parse("fe80::1"), full.Address);
        var back = EndPointConverter.ToIPEndPoint(full);
        Assert.Equal(3, back.Address.ScopeId);
        Assert.Equal("[fe80::1%3]:53", full.ToString());
    }

    [Fact]
    public void GlobalIPv6HasNoScopeOnTheWayOut()
    {
        var back = EndPointConverter.ToIPEndPoint(new FullAddress(Address.Parse("fd00::1"), 7, 2));
        Assert.Equal(0, back.Address.ScopeId);
    }

    [Fact]
    public void FamilyMismatchIsAddressFamilyNotSupported()
    {
        var e = Assert.Throws<SocketException>(() =>
            EndPointConverter.ToFullAddress(new IPEndPoint(IPAddress.IPv6Loopback, 1), AddressFamily.InterNetwork));
        Assert.Equal(SocketError.AddressFamilyNotSupported, e.SocketErrorCode);
        Assert.Throws<ArgumentException>(() => EndPointConverter.ToFullAddress(new DnsEndPoint("example.org", 1), AddressFamily.InterNetwork));
        Assert.Throws<ArgumentNullException>(() => EndPointConverter.ToFullAddress(null!, AddressFamily.InterNetwork));
    }

    [Theory]
    [InlineData("192.0.2.7", 65535, 0)]
    [InlineData("2001:db8::7", 1, 0)]
    [InlineData("fe80::7", 4242, 9)]
    public void SocketAddressMatchesDotNetLayout(string text, int port, int nic)
    {
        var full = new FullAddress(Address.Parse(text), (ushort)port, nic);
        var sa = new SocketAddress(EndPointConverter.FamilyOf(full.Address));
        EndPointConverter.WriteSocketAddress(full, sa);
        // .NET's own serialisation of the same endpoint must be byte for byte what we wrote.
        var expected = EndPointConverter.ToIPEndPoint(full).Serialize();
        Assert.Equal(expected.Size, sa.Size);
        Assert.Equal(expected.Buffer.Span[..expected.Size].ToArray(), sa.Buffer.Span[..sa.Size].ToArray());
        Assert.Equal(full, EndPointConverter.ReadSocketAddress(sa, sa.Family));
    }

    [Fact]
    public void SocketAddressChecks()
    {
        var v4 = new SocketAddress(AddressFamily.InterNetwork);
        Assert.Throws<ArgumentException>(() => EndPointConverter.WriteSocketAddress(new FullAddress(Address.Parse("::1"), 1), v4));
        var e = Assert.Throws<SocketException>(() => EndPointConverter.ReadSocketAddress(v4, AddressFamily.InterNetworkV6));
        Assert.Equal(SocketError.AddressFamilyNotSupported, e.SocketErrorCode);
        Assert.Equal(Address.AnyV4, EndPointConverter.AnyAddress(AddressFamily.InterNetwork));
        Assert.Throws<ArgumentOutOfRangeException>(() => EndPointConverter.AnyAddress(AddressFamily.Unix));
    }
}
