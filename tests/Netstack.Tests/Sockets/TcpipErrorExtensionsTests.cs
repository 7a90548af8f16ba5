using System.Net.Sockets;
using Netstack.Sockets;

namespace Netstack.Tests.Sockets;

public class TcpipErrorExtensionsTests
{
    public static TheoryData<TcpipError> EveryError()
    {
        var data = new TheoryData<TcpipError>();
        foreach (var e in Enum.GetValues<TcpipError>())
        {
            data.Add(e);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryError))]
    public void EveryValueHasAnEntry(TcpipError error)
    {
        var socketError = error.ToSocketError();
        Assert.True(Enum.IsDefined(socketError));
        Assert.Equal(error == TcpipError.None, socketError == SocketError.Success);
    }

    [Theory]
    [InlineData(TcpipError.ConnectionRefused, SocketError.ConnectionRefused)]
    [InlineData(TcpipError.PortInUse, SocketError.AddressAlreadyInUse)]
    [InlineData(TcpipError.BadLocalAddress, SocketError.AddressNotAvailable)]
    [InlineData(TcpipError.BroadcastDisabled, SocketError.AccessDenied)]
    [InlineData(TcpipError.MessageTooLong, SocketError.MessageSize)]
    [InlineData(TcpipError.DestinationRequired, SocketError.DestinationAddressRequired)]
    [InlineData(TcpipError.AlreadyBound, SocketError.InvalidArgument)]
    [InlineData(TcpipError.Aborted, SocketError.OperationAborted)]
    [InlineData(TcpipError.NetworkUnreachable, SocketError.NetworkUnreachable)]
    [InlineData(TcpipError.HostUnreachable, SocketError.HostUnreachable)]
    [InlineData(TcpipError.ConnectionReset, SocketError.ConnectionReset)]
    [InlineData(TcpipError.Timeout, SocketError.TimedOut)]
    public void MapsAsDotNetOnLinux(TcpipError error, SocketError expected)
    {
        Assert.Equal(expected, error.ToSocketError());
        var e = error.ToSocketException();
        Assert.Equal(expected, e.SocketErrorCode);
        Assert.Equal(new SocketException((int)expected).Message, e.Message);
    }

    [Fact]
    public void NoneIsNotAnException()
    {
        Assert.Throws<ArgumentException>(() => TcpipError.None.ToSocketException());
        TcpipError.None.ThrowIfError();
        var e = Assert.Throws<SocketException>(() => TcpipError.ConnectionRefused.ThrowIfError());
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    [Fact]
    public void UndefinedValueThrows() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ((TcpipError)9999).ToSocketError());
}
