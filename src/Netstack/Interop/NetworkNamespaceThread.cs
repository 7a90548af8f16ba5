using System.Runtime.ExceptionServices;

namespace Netstack.Interop;

/// <summary>
/// Runs code on a thread of its own that has joined a named network namespace (<c>/var/run/netns/NAME</c>, as
/// <c>ip netns add</c> makes): sockets and devices opened there stay in that namespace for their whole life,
/// while the rest of the process stays where it is. setns(2) moves only the calling thread, hence the thread.
/// </summary>
public static class NetworkNamespaceThread
{
    /// <summary>Runs <paramref name="action"/> inside the namespace <paramref name="name"/> and returns its result.</summary>
    /// <exception cref="IOException">The namespace cannot be opened or joined.</exception>
    /// <remarks>An exception from <paramref name="action"/> is rethrown as it was.</remarks>
    public static T Run<T>(string name, Func<T> action)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(action);
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Join(name);
                result = action();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            Name = "netns-" + name,
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    private static void Join(string name)
    {
        int fd = FileNative.Open($"/var/run/netns/{name}", FileNative.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"open /var/run/netns/{name}: errno {FileNative.LastErrno}");
        }
        try
        {
            if (NamespaceNative.SetNs(fd, NamespaceNative.CLONE_NEWNET) != 0)
            {
                throw new IOException($"setns({name}): errno {FileNative.LastErrno}");
            }
        }
        finally
        {
            FileNative.Close(fd);
        }
    }
}
