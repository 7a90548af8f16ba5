using Netstack.Interop;

namespace Netstack.Tests.Interop;

public class ErrnoTranslationTests
{
    [Theory]
    [InlineData(Errno.EEXIST, TcpipError.DuplicateAddress)]
    [InlineData(Errno.ENETUNREACH, TcpipError.NetworkUnreachable)]
    [InlineData(Errno.EINVAL, TcpipError.InvalidEndpointState)]
    [InlineData(Errno.EALREADY, TcpipError.AlreadyConnecting)]
    [InlineData(Errno.EISCONN, TcpipError.AlreadyConnected)]
    [InlineData(Errno.EADDRINUSE, TcpipError.PortInUse)]
    [InlineData(Errno.EADDRNOTAVAIL, TcpipError.BadLocalAddress)]
    [InlineData(Errno.EPIPE, TcpipError.ClosedForSend)]
    [InlineData(Errno.EAGAIN, TcpipError.WouldBlock)]
    [InlineData(Errno.ECONNREFUSED, TcpipError.ConnectionRefused)]
    [InlineData(Errno.ETIMEDOUT, TcpipError.Timeout)]
    [InlineData(Errno.EINPROGRESS, TcpipError.ConnectStarted)]
    [InlineData(Errno.EDESTADDRREQ, TcpipError.DestinationRequired)]
    [InlineData(Errno.ENOTSUP, TcpipError.NotSupported)]
    [InlineData(Errno.ENOTTY, TcpipError.QueueSizeNotSupported)]
    [InlineData(Errno.ENOTCONN, TcpipError.NotConnected)]
    [InlineData(Errno.ECONNRESET, TcpipError.ConnectionReset)]
    [InlineData(Errno.ECONNABORTED, TcpipError.ConnectionAborted)]
    [InlineData(Errno.EMSGSIZE, TcpipError.MessageTooLong)]
    [InlineData(Errno.ENOBUFS, TcpipError.NoBufferSpace)]
    public void KnownErrnos(int errno, TcpipError expected) => Assert.Equal(expected, ErrnoTranslation.ToTcpipError(errno));

    [Theory]
    [InlineData(0)]
    [InlineData(Errno.EIO)]
    [InlineData(133)]
    [InlineData(5000)]
    [InlineData(-1)]
    public void ZeroAndUnknownErrnosBecomeInvalidEndpointStateAsInGvisor(int errno) =>
        Assert.Equal(TcpipError.InvalidEndpointState, ErrnoTranslation.ToTcpipError(errno));

    [Fact]
    public unsafe void StructLayoutsMatchTheKernelAbi()
    {
        Assert.Equal(16, sizeof(IoVec));
        Assert.Equal(56, sizeof(MsgHdr));
        Assert.Equal(64, sizeof(MMsgHdr));
        Assert.Equal(8, sizeof(PollFd));
        Assert.Equal(20, sizeof(SockaddrLl));
        Assert.Equal(16, sizeof(TpacketReq));
        Assert.Equal(32, sizeof(TpacketHdr));
        Assert.Equal(40, sizeof(IfReq));
    }
}
