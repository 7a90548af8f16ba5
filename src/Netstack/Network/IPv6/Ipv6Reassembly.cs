using Netstack.Buffers;
using Netstack.Stack.Timers;

namespace Netstack.Network.IPv6;

/// <summary>
/// One packet being reassembled: its fragments sorted by offset (never overlapping), what the first
/// fragment said about the unfragmentable part, and its timeout. After an overlap or an inconsistency it
/// stays as a tombstone (<see cref="Discarded"/>) until the timeout, so later fragments of the same
/// packet are dropped too (RFC 5722).
/// </summary>
internal sealed class Ipv6Reassembly
{
    private Slot[] _slots = new Slot[4];

    public Ipv6Reassembly(TimerWheel wheel, Action<object?> onTimeout)
    {
        Timer = new WheelTimer(wheel, onTimeout, this);
        AgeNode = new LinkedListNode<Ipv6Reassembly>(this);
    }

    public ReassemblyKey Key { get; private set; }

    public int NicId { get; private set; }

    public WheelTimer Timer { get; }

    /// <summary>When the timeout is due, in wheel milliseconds (an object is reused, so a late timer of its previous use must be told apart).</summary>
    public long ExpiresAt { get; set; }

    /// <summary>This packet's place in the reassembler's age list (the node is reused with the object).</summary>
    public LinkedListNode<Ipv6Reassembly> AgeNode { get; }

    public int Count { get; private set; }

    /// <summary>Total length of the fragmentable part once the last fragment arrived; -1 before.</summary>
    public int Total { get; set; } = -1;

    /// <summary>Largest end offset seen so far.</summary>
    public int MaxEnd { get; private set; }

    /// <summary>Bytes of fragment data held (no overlaps, so the packet is complete when it equals <see cref="Total"/>).</summary>
    public int Covered { get; private set; }

    /// <summary>Memory the held fragments pin (their chunks' capacity).</summary>
    public long Bytes { get; private set; }

    public bool Discarded { get; private set; }

    /// <summary>The fragment with offset 0, once it arrived.</summary>
    public PacketBuffer? First { get; private set; }

    public byte NextHeader { get; private set; }

    public int UnfragmentableLength { get; private set; }

    public int FragmentFieldOffset { get; private set; }

    /// <summary>Prepares a fresh or recycled object for the packet <paramref name="key"/>.</summary>
    public void Reset(ReassemblyKey key, int nicId)
    {
        Key = key;
        NicId = nicId;
        Total = -1;
        MaxEnd = 0;
        Discarded = false;
        NextHeader = 0;
        UnfragmentableLength = 0;
        FragmentFieldOffset = 0;
    }

    public bool IsComplete => Total >= 0 && First is not null && Covered == Total;

    public ReadOnlySpan<Slot> Slots => _slots.AsSpan(0, Count);

    /// <summary>Where a fragment [start, end) goes: the index of the first held fragment starting at or after it.</summary>
    public int IndexFor(int start)
    {
        int i = 0;
        while (i < Count && _slots[i].Start < start)
        {
            i++;
        }
        return i;
    }

    /// <summary>Inserts a fragment at <paramref name="index"/>, taking a reference to it; returns the memory it pins.</summary>
    public long Insert(int index, PacketBuffer packet, in FragmentInfo info)
    {
        if (Count == _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }
        Array.Copy(_slots, index, _slots, index + 1, Count - index);
        long cost = PinnedBytes(packet);
        packet.IncRef();
        _slots[index] = new Slot(packet, info.Offset, info.End);
        Count++;
        Covered += info.Length;
        Bytes += cost;
        MaxEnd = Math.Max(MaxEnd, info.End);
        if (!info.MoreFragments)
        {
            Total = info.End;
        }
        if (info.Offset == 0)
        {
            First = packet;
            NextHeader = info.NextHeader;
            UnfragmentableLength = info.UnfragmentableLength;
            FragmentFieldOffset = info.FragmentFieldOffset;
        }
        return cost;
    }

    /// <summary>Releases every fragment; with <paramref name="tombstone"/> the packet stays known as discarded.</summary>
    public void ReleaseFragments(bool tombstone)
    {
        for (int i = 0; i < Count; i++)
        {
            _slots[i].Packet.Release();
            _slots[i] = default;
        }
        Count = 0;
        Covered = 0;
        Bytes = 0;
        First = null;
        Discarded |= tombstone;
        if (_slots.Length > 64)
        {
            _slots = new Slot[4];
        }
    }

    private static long PinnedBytes(PacketBuffer packet)
    {
        long n = 0;
        foreach (var v in packet.Views)
        {
            n += v.Chunk.Capacity;
        }
        return n;
    }

    /// <summary>A held fragment: the packet (network header consumed, data = fragment data) and its range.</summary>
    public readonly record struct Slot(PacketBuffer Packet, int Start, int End);
}
