using Netstack.Buffers;
using Netstack.Stack.Timers;

namespace Netstack.Stack.Neighbors;

/// <summary>
/// The neighbour cache of one NIC for one network protocol: maps next-hop addresses to link addresses with
/// RFC 4861 Neighbour Unreachability Detection (INCOMPLETE, REACHABLE, STALE, DELAY, PROBE), used for both
/// NDP and ARP, as gVisor and Linux do. Bounded in entries and in packets held while resolving.
/// </summary>
public sealed class NeighborCache
{
    private readonly Nic _nic;
    private readonly ILinkAddressResolver _resolver;
    private readonly NeighborOptions _options;
    private readonly TimerWheel _wheel;
    private readonly Dictionary<Address, Entry> _entries = new();
    private readonly Lock _gate = new();
    private long _pendingBytes;

    /// <summary>Creates a cache for <paramref name="nic"/> that resolves through <paramref name="resolver"/>.</summary>
    public NeighborCache(Nic nic, ILinkAddressResolver resolver, NeighborOptions? options = null)
    {
        _nic = nic ?? throw new ArgumentNullException(nameof(nic));
        _resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));
        _options = options ?? nic.Stack.Options.Neighbors;
        _options.Validate();
        _wheel = nic.Stack.Timers;
    }

    /// <summary>Number of entries.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Memory pinned by the packets waiting for resolution (the capacity of their chunks).</summary>
    public long PendingBytes
    {
        get
        {
            lock (_gate)
            {
                return _pendingBytes;
            }
        }
    }

    /// <summary>A copy of every entry.</summary>
    public IReadOnlyList<NeighborEntrySnapshot> Entries
    {
        get
        {
            lock (_gate)
            {
                return _entries.Values.Select(e => new NeighborEntrySnapshot(e.Address, e.LinkAddress, e.State)).ToArray();
            }
        }
    }

    /// <summary>The entry for <paramref name="address"/>, if any.</summary>
    public bool TryGetEntry(Address address, out NeighborEntrySnapshot entry)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(address, out var e))
            {
                entry = new NeighborEntrySnapshot(e.Address, e.LinkAddress, e.State);
                return true;
            }
        }
        entry = default;
        return false;
    }

    /// <summary>
    /// Finds the link address of <paramref name="target"/> for sending <paramref name="packets"/>. When it is
    /// not known yet, starts resolution (from <paramref name="localAddress"/>) and queues the packets, taking
    /// a reference to each; they are sent when resolution completes or dropped when it fails.
    /// </summary>
    public NeighborResolution Resolve(Address target, Address localAddress, ReadOnlySpan<PacketBuffer> packets, out LinkAddress linkAddress)
    {
        bool solicit = false;
        lock (_gate)
        {
            long now = _wheel.NowMilliseconds;
            if (_entries.TryGetValue(target, out var e))
            {
                e.LastUsed = now;
                e.InUse = true;
                switch (e.State)
                {
                    case NeighborState.Stale:
                        // RFC 4861 7.3.3: first use of a stale entry moves it to DELAY.
                        e.State = NeighborState.Delay;
                        e.Timer.Schedule(_options.DelayFirstProbeTime);
                        goto case NeighborState.Reachable;
                    case NeighborState.Reachable:
                    case NeighborState.Delay:
                    case NeighborState.Probe:
                    case NeighborState.Static:
                        linkAddress = e.LinkAddress;
                        return NeighborResolution.Resolved;
                    default:
                        Enqueue(e, packets);
                        linkAddress = default;
                        return NeighborResolution.Queued;
                }
            }
            e = NewEntry(target, NeighborState.Incomplete, default, now);
            e.InUse = true;
            e.LocalAddress = localAddress;
            e.Probes = 1;
            e.Timer.Schedule(_options.RetransmitTimer);
            Enqueue(e, packets);
            solicit = true;
        }
        if (solicit)
        {
            _resolver.SendSolicitation(_nic, target, localAddress, default);
        }
        linkAddress = default;
        return NeighborResolution.Queued;
    }

    /// <summary>
    /// A neighbour solicited us (NDP NS or ARP request) and told its link address (RFC 4861 7.2.3): create
    /// or refresh its entry as STALE.
    /// </summary>
    public void HandleProbe(Address source, LinkAddress linkAddress)
    {
        if (linkAddress.IsEmpty || source.IsUnspecified)
        {
            return;
        }
        List<PacketBuffer>? flush = null;
        lock (_gate)
        {
            long now = _wheel.NowMilliseconds;
            if (!_entries.TryGetValue(source, out var e))
            {
                NewEntry(source, NeighborState.Stale, linkAddress, now);
                return;
            }
            if (e.State == NeighborState.Static)
            {
                return;
            }
            if (e.State == NeighborState.Incomplete)
            {
                e.LinkAddress = linkAddress;
                SetState(e, NeighborState.Stale);
                flush = TakeQueue(e);
            }
            else if (e.LinkAddress != linkAddress)
            {
                e.LinkAddress = linkAddress;
                SetState(e, NeighborState.Stale);
            }
        }
        Send(flush, linkAddress);
    }

    /// <summary>A neighbour advertised its link address (NDP NA or ARP reply), RFC 4861 7.2.5.</summary>
    public void HandleConfirmation(Address target, LinkAddress linkAddress, NeighborConfirmation flags)
    {
        List<PacketBuffer>? flush = null;
        LinkAddress sendTo = default;
        lock (_gate)
        {
            if (!_entries.TryGetValue(target, out var e) || e.State == NeighborState.Static)
            {
                return; // Unsolicited advertisements create no entries.
            }
            if (e.State == NeighborState.Incomplete)
            {
                if (linkAddress.IsEmpty)
                {
                    return;
                }
                e.LinkAddress = linkAddress;
                SetState(e, flags.Solicited ? NeighborState.Reachable : NeighborState.Stale);
                flush = TakeQueue(e);
                sendTo = linkAddress;
            }
            else
            {
                bool differs = !linkAddress.IsEmpty && linkAddress != e.LinkAddress;
                if (!flags.Override && differs)
                {
                    if (e.State == NeighborState.Reachable)
                    {
                        SetState(e, NeighborState.Stale);
                    }
                    return;
                }
                if (differs)
                {
                    e.LinkAddress = linkAddress;
                }
                if (flags.Solicited)
                {
                    SetState(e, NeighborState.Reachable);
                }
                else if (differs)
                {
                    SetState(e, NeighborState.Stale);
                }
            }
        }
        Send(flush, sendTo);
    }

    /// <summary>An upper layer saw forward progress with <paramref name="target"/> (for example new TCP ACKs): it is reachable.</summary>
    public void ConfirmReachable(Address target)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(target, out var e) && e.State is NeighborState.Stale or NeighborState.Delay or NeighborState.Probe or NeighborState.Reachable)
            {
                SetState(e, NeighborState.Reachable);
            }
        }
    }

    /// <summary>Adds or replaces a static entry (never expires, never probed).</summary>
    public void AddStatic(Address address, LinkAddress linkAddress)
    {
        if (linkAddress.IsEmpty)
        {
            throw new ArgumentException("A static neighbour needs a link address.", nameof(linkAddress));
        }
        List<PacketBuffer>? flush = null;
        lock (_gate)
        {
            if (_entries.TryGetValue(address, out var e))
            {
                flush = TakeQueue(e);
                e.LinkAddress = linkAddress;
                SetState(e, NeighborState.Static);
            }
            else
            {
                NewEntry(address, NeighborState.Static, linkAddress, _wheel.NowMilliseconds);
            }
        }
        Send(flush, linkAddress);
    }

    /// <summary>Removes the entry for <paramref name="address"/>; queued packets are dropped.</summary>
    public bool Remove(Address address)
    {
        List<PacketBuffer>? dropped;
        lock (_gate)
        {
            if (!_entries.TryGetValue(address, out var e))
            {
                return false;
            }
            dropped = RemoveEntry(e);
        }
        Drop(dropped);
        return true;
    }

    /// <summary>Removes every entry; queued packets are dropped.</summary>
    public void Clear()
    {
        var dropped = new List<PacketBuffer>();
        lock (_gate)
        {
            foreach (var e in _entries.Values.ToArray())
            {
                var q = RemoveEntry(e);
                if (q is not null)
                {
                    dropped.AddRange(q);
                }
            }
        }
        Drop(dropped);
    }

    private Entry NewEntry(Address address, NeighborState state, LinkAddress linkAddress, long now)
    {
        if (_entries.Count >= _options.MaxEntries)
        {
            EvictOne();
        }
        var e = new Entry(this, address) { State = state, LinkAddress = linkAddress, LastUsed = now };
        _entries.Add(address, e);
        return e;
    }

    // Evicts a dynamic entry, the least valuable kind first, the least recently used of that kind (called
    // under the lock): one this host never sent through (made by a neighbour's unsolicited probe, so a flood
    // of ARP requests or solicitations from many sources only displaces its own entries), then one still
    // resolving, then any other. Linux refuses new entries instead, so a flood blocks new neighbours there.
    private void EvictOne()
    {
        Entry? victim = null;
        int victimRank = int.MaxValue;
        foreach (var e in _entries.Values)
        {
            if (e.State == NeighborState.Static)
            {
                continue;
            }
            int rank = !e.InUse ? 0 : e.State == NeighborState.Incomplete ? 1 : 2;
            if (rank < victimRank || (rank == victimRank && e.LastUsed < victim!.LastUsed))
            {
                victim = e;
                victimRank = rank;
            }
        }
        if (victim is not null)
        {
            var dropped = RemoveEntry(victim);
            if (dropped is not null)
            {
                // Safe under the lock: releasing a packet never calls back into the cache.
                Drop(dropped);
            }
        }
    }

    private List<PacketBuffer>? RemoveEntry(Entry e)
    {
        _entries.Remove(e.Address);
        e.Removed = true;
        e.Timer.Cancel();
        return TakeQueue(e);
    }

    private void SetState(Entry e, NeighborState state)
    {
        e.State = state;
        e.Probes = 0;
        if (state == NeighborState.Reachable)
        {
            e.Timer.Schedule(_options.BaseReachableTime * (0.5 + Random.Shared.NextDouble()));
        }
        else
        {
            e.Timer.Cancel();
        }
    }

    // Queues packets on an unresolved entry, bounded in count and in the memory the queue pins (oldest dropped
    // first; the newest packet always stays).
    private void Enqueue(Entry e, ReadOnlySpan<PacketBuffer> packets)
    {
        e.Pending ??= new List<PacketBuffer>();
        e.PendingChunks ??= new Dictionary<Chunk, int>(ReferenceEqualityComparer.Instance);
        foreach (var p in packets)
        {
            while (e.Pending.Count > 0 && (e.Pending.Count >= _options.MaxPendingPacketsPerEntry
                || e.PendingBytes + NewChunkBytes(e.PendingChunks, p) > _options.MaxPendingBytesPerEntry))
            {
                var oldest = e.Pending[0];
                e.Pending.RemoveAt(0);
                Uncharge(e, oldest);
                oldest.Release();
                _nic.Stats.ResolutionFailures.Increment();
            }
            p.IncRef();
            e.Pending.Add(p);
            Charge(e, p);
        }
    }

    private List<PacketBuffer>? TakeQueue(Entry e)
    {
        var q = e.Pending;
        e.Pending = null;
        _pendingBytes -= e.PendingBytes;
        e.PendingBytes = 0;
        e.PendingChunks?.Clear();
        return q is { Count: > 0 } ? q : null;
    }

    // The memory a waiting packet adds: the capacity of the chunks it holds (Linux charges skb->truesize), each
    // chunk once per queue, since the fragments of one datagram share the datagram's chunks.
    private static long NewChunkBytes(Dictionary<Chunk, int> charged, PacketBuffer packet)
    {
        long total = 0;
        foreach (var view in packet.Views)
        {
            if (!charged.ContainsKey(view.Chunk))
            {
                total += view.Chunk.Capacity;
            }
        }
        return total;
    }

    private void Charge(Entry e, PacketBuffer packet)
    {
        var charged = e.PendingChunks!;
        foreach (var view in packet.Views)
        {
            var chunk = view.Chunk;
            if (charged.TryGetValue(chunk, out int n))
            {
                charged[chunk] = n + 1;
            }
            else
            {
                charged.Add(chunk, 1);
                e.PendingBytes += chunk.Capacity;
                _pendingBytes += chunk.Capacity;
            }
        }
    }

    private void Uncharge(Entry e, PacketBuffer packet)
    {
        var charged = e.PendingChunks!;
        foreach (var view in packet.Views)
        {
            var chunk = view.Chunk;
            if (!charged.TryGetValue(chunk, out int n))
            {
                continue;
            }
            if (n > 1)
            {
                charged[chunk] = n - 1;
            }
            else
            {
                charged.Remove(chunk);
                e.PendingBytes -= chunk.Capacity;
                _pendingBytes -= chunk.Capacity;
            }
        }
    }

    private void Send(List<PacketBuffer>? packets, LinkAddress linkAddress)
    {
        if (packets is null)
        {
            return;
        }
        _nic.WriteResolved(packets, linkAddress);
        foreach (var p in packets)
        {
            p.Release();
        }
    }

    private void Drop(List<PacketBuffer>? packets)
    {
        if (packets is null)
        {
            return;
        }
        foreach (var p in packets)
        {
            _nic.Stats.ResolutionFailures.Increment();
            p.Release();
        }
    }

    private void OnTimer(Entry e)
    {
        Address solicitFor = default;
        Address local = default;
        LinkAddress unicastTo = default;
        bool solicit = false;
        List<PacketBuffer>? dropped = null;
        lock (_gate)
        {
            if (e.Removed)
            {
                return;
            }
            switch (e.State)
            {
                case NeighborState.Incomplete when e.Probes < _options.MaxMulticastProbes:
                    e.Probes++;
                    e.Timer.Schedule(_options.RetransmitTimer);
                    solicit = true;
                    break;
                case NeighborState.Incomplete:
                    dropped = RemoveEntry(e);
                    break;
                case NeighborState.Reachable:
                    e.State = NeighborState.Stale;
                    break;
                case NeighborState.Delay:
                    e.State = NeighborState.Probe;
                    e.Probes = 1;
                    e.Timer.Schedule(_options.RetransmitTimer);
                    solicit = true;
                    unicastTo = e.LinkAddress;
                    break;
                case NeighborState.Probe when e.Probes < _options.MaxUnicastProbes:
                    e.Probes++;
                    e.Timer.Schedule(_options.RetransmitTimer);
                    solicit = true;
                    unicastTo = e.LinkAddress;
                    break;
                case NeighborState.Probe:
                    dropped = RemoveEntry(e);
                    break;
            }
            solicitFor = e.Address;
            local = e.LocalAddress;
        }
        Drop(dropped);
        if (solicit)
        {
            _resolver.SendSolicitation(_nic, solicitFor, local, unicastTo);
        }
    }

    private sealed class Entry
    {
        public Entry(NeighborCache cache, Address address)
        {
            Address = address;
            Timer = new WheelTimer(cache._wheel, static s =>
            {
                var (c, e) = ((NeighborCache, Entry))s!;
                c.OnTimer(e);
            }, (cache, this));
        }

        public Address Address { get; }

        public WheelTimer Timer { get; }

        public NeighborState State { get; set; }

        public LinkAddress LinkAddress { get; set; }

        public Address LocalAddress { get; set; }

        public int Probes { get; set; }

        public long LastUsed { get; set; }

        /// <summary>This host has sent (or queued) packets through the entry.</summary>
        public bool InUse { get; set; }

        public bool Removed { get; set; }

        public List<PacketBuffer>? Pending { get; set; }

        public long PendingBytes { get; set; }

        /// <summary>The chunks the queued packets hold, each with how many queued views use it.</summary>
        public Dictionary<Chunk, int>? PendingChunks { get; set; }
    }
}
