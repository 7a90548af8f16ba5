namespace Netstack.Link.FdBased;

/// <summary>
/// gVisor's receive layout: one read scatters into 10 views of 128, 256, 256, 512, ... 32768 bytes
/// (65,664 in all, room for a 64 KiB packet plus link and virtio-net headers). The first view holds any
/// link + IP + TCP header in one piece; a small packet uses only the first view or two, so only those
/// chunks leave with it and are replaced.
/// </summary>
internal static class ReceiveBufferLayout
{
    /// <summary>The view sizes, in order.</summary>
    public static readonly int[] Sizes = [128, 256, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];

    /// <summary>Bytes one read can take.</summary>
    public static readonly int TotalSize = Sizes.Sum();

    /// <summary>
    /// How many views a read of <paramref name="bytes"/> filled, and each one's length (the last one capped,
    /// the rest left full-size as the layout says). Mirrors gVisor's <c>capViews</c>.
    /// </summary>
    public static int ViewsUsed(int bytes, ReadOnlySpan<int> layout, Span<int> lengths)
    {
        int used = 0;
        int covered = 0;
        for (int i = 0; i < layout.Length; i++)
        {
            lengths[i] = layout[i];
            if (covered < bytes)
            {
                int take = Math.Min(layout[i], bytes - covered);
                lengths[i] = take;
                covered += take;
                used = i + 1;
            }
        }
        return used;
    }
}
