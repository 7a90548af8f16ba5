using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Netstack.Buffers;

namespace Netstack.Link.FaultInjection;

/// <summary>
/// The packets one offered packet turns into that go on at once, on the caller's thread, in order: the
/// packet (or its corrupted copy), its duplicate, and a held-back packet it overtook with that one's
/// duplicate. A value on the stack, so the path allocates nothing.
/// </summary>
internal struct InlineBatch
{
    /// <summary>Most entries: two copies of the packet and two of the one it overtook.</summary>
    public const int Capacity = 4;

    private Packets _packets;
    private Protocols _protocols;
    private int _owned;

    /// <summary>Entries so far.</summary>
    public int Count { get; private set; }

    /// <summary>The packets, in delivery order.</summary>
    [UnscopedRef]
    public ReadOnlySpan<PacketBuffer> AsSpan() => ((ReadOnlySpan<PacketBuffer>)_packets)[..Count];

    /// <summary>The EtherType of entry <paramref name="index"/>.</summary>
    public readonly ushort ProtocolAt(int index) => _protocols[index];

    /// <summary>
    /// Appends <paramref name="packet"/>; <paramref name="owned"/> means the batch holds a reference to it
    /// that <see cref="ReleaseOwned"/> drops (false for the caller's own packet passing unchanged).
    /// </summary>
    public void Add(PacketBuffer packet, ushort protocol, bool owned)
    {
        _packets[Count] = packet;
        _protocols[Count] = protocol;
        if (owned)
        {
            _owned |= 1 << Count;
        }
        Count++;
    }

    /// <summary>True when the batch is exactly <paramref name="packet"/>, unchanged and not owned.</summary>
    public readonly bool IsOnly(PacketBuffer packet) => Count == 1 && _owned == 0 && ReferenceEquals(_packets[0], packet);

    /// <summary>Drops the references the batch holds (once).</summary>
    public void ReleaseOwned()
    {
        for (int i = 0; i < Count; i++)
        {
            if ((_owned & (1 << i)) != 0)
            {
                _packets[i].Release();
            }
        }
        _owned = 0;
    }

    [InlineArray(Capacity)]
    private struct Packets
    {
        private PacketBuffer _element;
    }

    [InlineArray(Capacity)]
    private struct Protocols
    {
        private ushort _element;
    }
}
