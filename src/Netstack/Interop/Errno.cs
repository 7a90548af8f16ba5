namespace Netstack.Interop;

/// <summary>Linux errno values (asm-generic/errno-base.h, asm-generic/errno.h) the link layer looks at.</summary>
public static class Errno
{
    /// <summary>Operation not permitted.</summary>
    public const int EPERM = 1;
    /// <summary>No such file or directory.</summary>
    public const int ENOENT = 2;
    /// <summary>Interrupted system call.</summary>
    public const int EINTR = 4;
    /// <summary>I/O error.</summary>
    public const int EIO = 5;
    /// <summary>Bad file descriptor.</summary>
    public const int EBADF = 9;
    /// <summary>Try again (also EWOULDBLOCK).</summary>
    public const int EAGAIN = 11;
    /// <summary>Out of memory.</summary>
    public const int ENOMEM = 12;
    /// <summary>Permission denied.</summary>
    public const int EACCES = 13;
    /// <summary>Bad address.</summary>
    public const int EFAULT = 14;
    /// <summary>Device or resource busy.</summary>
    public const int EBUSY = 16;
    /// <summary>File exists.</summary>
    public const int EEXIST = 17;
    /// <summary>No such device.</summary>
    public const int ENODEV = 19;
    /// <summary>Invalid argument.</summary>
    public const int EINVAL = 22;
    /// <summary>Not a typewriter (inappropriate ioctl).</summary>
    public const int ENOTTY = 25;
    /// <summary>Broken pipe.</summary>
    public const int EPIPE = 32;
    /// <summary>File descriptor in bad state.</summary>
    public const int EBADFD = 77;
    /// <summary>Destination address required.</summary>
    public const int EDESTADDRREQ = 89;
    /// <summary>Message too long.</summary>
    public const int EMSGSIZE = 90;
    /// <summary>Protocol not available.</summary>
    public const int ENOPROTOOPT = 92;
    /// <summary>Operation not supported (also EOPNOTSUPP).</summary>
    public const int ENOTSUP = 95;
    /// <summary>Address already in use.</summary>
    public const int EADDRINUSE = 98;
    /// <summary>Cannot assign requested address.</summary>
    public const int EADDRNOTAVAIL = 99;
    /// <summary>Network is down.</summary>
    public const int ENETDOWN = 100;
    /// <summary>Network is unreachable.</summary>
    public const int ENETUNREACH = 101;
    /// <summary>Software caused connection abort.</summary>
    public const int ECONNABORTED = 103;
    /// <summary>Connection reset by peer.</summary>
    public const int ECONNRESET = 104;
    /// <summary>No buffer space available.</summary>
    public const int ENOBUFS = 105;
    /// <summary>Transport endpoint is already connected.</summary>
    public const int EISCONN = 106;
    /// <summary>Transport endpoint is not connected.</summary>
    public const int ENOTCONN = 107;
    /// <summary>Connection timed out.</summary>
    public const int ETIMEDOUT = 110;
    /// <summary>Connection refused.</summary>
    public const int ECONNREFUSED = 111;
    /// <summary>Operation already in progress.</summary>
    public const int EALREADY = 114;
    /// <summary>Operation now in progress.</summary>
    public const int EINPROGRESS = 115;
}
