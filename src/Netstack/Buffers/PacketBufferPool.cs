namespace Netstack.Buffers;

/// <summary>Recycles <see cref="PacketBuffer"/> objects so that steady-state traffic allocates none.</summary>
internal static class PacketBufferPool
{
    private const int MaxRetained = 8192;
    private static readonly PacketBuffer?[] Items = new PacketBuffer?[MaxRetained];
    private static readonly Lock Gate = new();
    private static int _count;

    public static PacketBuffer? Rent()
    {
        lock (Gate)
        {
            if (_count == 0)
            {
                return null;
            }
            var pkt = Items[--_count];
            Items[_count] = null;
            return pkt;
        }
    }

    public static void Return(PacketBuffer pkt)
    {
        lock (Gate)
        {
            if (_count < MaxRetained)
            {
                Items[_count++] = pkt;
            }
        }
    }
}
