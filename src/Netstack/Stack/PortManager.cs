namespace Netstack.Stack;

/// <summary>
/// Reserves transport ports per protocol and local address, and picks ephemeral ports (RFC 6056
/// algorithm 1: a random start in the range, then the next free one). A wildcard reservation
/// conflicts with every address of its family and the other way round, unless both ask for reuse.
/// </summary>
public sealed class PortManager
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(byte Protocol, ushort Port), List<Reservation>> _reserved = new();
    private ushort _min = 32768;
    private ushort _max = 60999;

    /// <summary>The ephemeral range (inclusive), Linux's default 32768..60999.</summary>
    public (ushort Min, ushort Max) EphemeralRange
    {
        get
        {
            lock (_gate)
            {
                return (_min, _max);
            }
        }
    }

    /// <summary>Sets the ephemeral range (inclusive).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or starts at 0.</exception>
    public void SetEphemeralRange(ushort min, ushort max)
    {
        if (min == 0 || min > max)
        {
            throw new ArgumentOutOfRangeException(nameof(min), $"The ephemeral range must be 1 <= min <= max <= 65535 (got {min}..{max}).");
        }
        lock (_gate)
        {
            _min = min;
            _max = max;
        }
    }

    /// <summary>
    /// Reserves <paramref name="port"/> (0: an ephemeral one) on <paramref name="localAddress"/>
    /// (unspecified: every address of the family). Returns <see cref="TcpipError.PortInUse"/> on a conflict
    /// and <see cref="TcpipError.NoPortAvailable"/> when the ephemeral range is exhausted.
    /// </summary>
    public TcpipError Reserve(byte protocol, Address localAddress, ushort port, bool reuse, out ushort reserved)
    {
        lock (_gate)
        {
            if (port != 0)
            {
                reserved = port;
                return TryReserve(protocol, localAddress, port, reuse) ? TcpipError.None : TcpipError.PortInUse;
            }
            int count = _max - _min + 1;
            int start = Random.Shared.Next(count);
            for (int i = 0; i < count; i++)
            {
                ushort candidate = (ushort)(_min + (start + i) % count);
                if (TryReserve(protocol, localAddress, candidate, reuse: false))
                {
                    reserved = candidate;
                    return TcpipError.None;
                }
            }
            reserved = 0;
            return TcpipError.NoPortAvailable;
        }
    }

    /// <summary>Releases one reservation made with <see cref="Reserve"/>.</summary>
    public void Release(byte protocol, Address localAddress, ushort port)
    {
        lock (_gate)
        {
            if (!_reserved.TryGetValue((protocol, port), out var list))
            {
                return;
            }
            int i = list.FindIndex(r => r.Address == localAddress);
            if (i < 0)
            {
                return;
            }
            if (list[i].Count > 1)
            {
                list[i] = list[i] with { Count = list[i].Count - 1 };
            }
            else
            {
                list.RemoveAt(i);
                if (list.Count == 0)
                {
                    _reserved.Remove((protocol, port));
                }
            }
        }
    }

    /// <summary>True when <paramref name="port"/> is reserved on any address for <paramref name="protocol"/>.</summary>
    public bool IsReserved(byte protocol, ushort port)
    {
        lock (_gate)
        {
            return _reserved.ContainsKey((protocol, port));
        }
    }

    private bool TryReserve(byte protocol, Address address, ushort port, bool reuse)
    {
        if (!_reserved.TryGetValue((protocol, port), out var list))
        {
            _reserved[(protocol, port)] = [new Reservation(address, reuse, 1)];
            return true;
        }
        for (int i = 0; i < list.Count; i++)
        {
            var r = list[i];
            if (r.Address.Length != address.Length)
            {
                continue;
            }
            bool overlaps = r.Address == address || r.Address.IsUnspecified || address.IsUnspecified;
            if (!overlaps)
            {
                continue;
            }
            if (!(reuse && r.Reuse))
            {
                return false;
            }
            if (r.Address == address)
            {
                list[i] = r with { Count = r.Count + 1 };
                return true;
            }
        }
        list.Add(new Reservation(address, reuse, 1));
        return true;
    }

    private readonly record struct Reservation(Address Address, bool Reuse, int Count);
}
