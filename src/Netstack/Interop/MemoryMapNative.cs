using System.Runtime.InteropServices;

namespace Netstack.Interop;

/// <summary>Memory mapping: mmap and munmap (for the PACKET_MMAP ring).</summary>
public static unsafe partial class MemoryMapNative
{
    /// <summary>PROT_READ.</summary>
    public const int PROT_READ = 1;
    /// <summary>PROT_WRITE.</summary>
    public const int PROT_WRITE = 2;
    /// <summary>MAP_SHARED.</summary>
    public const int MAP_SHARED = 1;
    /// <summary>MAP_FAILED.</summary>
    public static readonly void* MAP_FAILED = (void*)-1;

    /// <summary>mmap(2).</summary>
    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    /// <summary>munmap(2).</summary>
    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);
}
