namespace Netstack.Transport.Tcp;

/// <summary>When a listener answers a SYN with a SYN cookie (RFC 4987 section 3.6) instead of keeping state.</summary>
public enum SynCookieMode
{
    /// <summary>Only when the SYN queue is full (Linux's default, <c>tcp_syncookies=1</c>).</summary>
    OnOverflow,
    /// <summary>For every SYN (<c>tcp_syncookies=2</c>).</summary>
    Always,
    /// <summary>Never: SYNs beyond the queue are dropped.</summary>
    Never,
}
