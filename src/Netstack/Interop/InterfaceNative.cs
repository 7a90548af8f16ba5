using System.Runtime.InteropServices;

namespace Netstack.Interop;

/// <summary>Network interfaces: names, indexes and the interface ioctls (TUN/TAP, hardware address, MTU).</summary>
public static unsafe partial class InterfaceNative
{
    /// <summary>IFNAMSIZ: an interface name with its NUL.</summary>
    public const int IFNAMSIZ = 16;
    /// <summary>TUNSETIFF = _IOW('T', 202, int).</summary>
    public const nuint TUNSETIFF = 0x400454ca;
    /// <summary>TUNGETIFF = _IOR('T', 210, unsigned int).</summary>
    public const nuint TUNGETIFF = 0x800454d2;
    /// <summary>TUNSETOFFLOAD = _IOW('T', 208, unsigned int).</summary>
    public const nuint TUNSETOFFLOAD = 0x400454d0;
    /// <summary>TUNSETVNETHDRSZ = _IOW('T', 216, int).</summary>
    public const nuint TUNSETVNETHDRSZ = 0x400454d8;
    /// <summary>SIOCGIFMTU.</summary>
    public const nuint SIOCGIFMTU = 0x8921;
    /// <summary>SIOCGIFHWADDR.</summary>
    public const nuint SIOCGIFHWADDR = 0x8927;
    /// <summary>IFF_TUN.</summary>
    public const short IFF_TUN = 0x0001;
    /// <summary>IFF_TAP.</summary>
    public const short IFF_TAP = 0x0002;
    /// <summary>IFF_NO_PI: no packet-information prefix.</summary>
    public const short IFF_NO_PI = 0x1000;
    /// <summary>IFF_VNET_HDR: a virtio-net header precedes each packet.</summary>
    public const short IFF_VNET_HDR = 0x4000;

    /// <summary>TUN_F_CSUM: the reader accepts packets with partial checksums (TUNSETOFFLOAD).</summary>
    public const uint TUN_F_CSUM = 0x01;

    /// <summary>TUN_F_TSO4: the reader accepts TCP/IPv4 super-segments (TUNSETOFFLOAD).</summary>
    public const uint TUN_F_TSO4 = 0x02;

    /// <summary>TUN_F_TSO6: the reader accepts TCP/IPv6 super-segments (TUNSETOFFLOAD).</summary>
    public const uint TUN_F_TSO6 = 0x04;

    /// <summary>if_nametoindex(3); 0 when there is no such interface.</summary>
    [LibraryImport("libc", EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint IfNameToIndex(string name);

    /// <summary>Writes <paramref name="name"/> into an ifreq; throws when it does not fit.</summary>
    public static void SetName(ref IfReq request, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        int count = System.Text.Encoding.UTF8.GetByteCount(name);
        if (count >= IFNAMSIZ)
        {
            throw new ArgumentException($"An interface name has at most {IFNAMSIZ - 1} bytes; '{name}' has {count}.", nameof(name));
        }
        fixed (byte* p = request.Name)
        {
            var span = new Span<byte>(p, IFNAMSIZ);
            span.Clear();
            System.Text.Encoding.UTF8.GetBytes(name, span);
        }
    }

    /// <summary>The name stored in an ifreq.</summary>
    public static string GetName(in IfReq request)
    {
        fixed (byte* p = request.Name)
        {
            var span = new ReadOnlySpan<byte>(p, IFNAMSIZ);
            int end = span.IndexOf((byte)0);
            return System.Text.Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
        }
    }
}
