using System.Runtime.InteropServices;

namespace Netstack.Interop;

/// <summary>Namespaces: setns (used to open fds inside a network namespace from a dedicated thread).</summary>
public static partial class NamespaceNative
{
    /// <summary>CLONE_NEWNET.</summary>
    public const int CLONE_NEWNET = 0x40000000;

    /// <summary>setns(2): moves the calling thread into the namespace <paramref name="fd"/> refers to.</summary>
    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int namespaceType);
}
