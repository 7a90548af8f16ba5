using System.Collections.Concurrent;
using Netstack.Buffers;

namespace Netstack.Stack;

/// <summary>
/// Finds the transport endpoint for an inbound packet by protocol and <see cref="TransportEndpointId"/>:
/// the exact four-tuple first (a connection), then the local address and port (a bound socket or a
/// listener), then the port on the wildcard address. Lookups are lock-free.
/// </summary>
public sealed class TransportDemuxer
{
    private readonly ConcurrentDictionary<Key, EndpointSet> _table = new();
    private readonly Lock _gate = new();

    /// <summary>Number of registered ids.</summary>
    public int Count => _table.Count;

    /// <summary>
    /// Registers <paramref name="endpoint"/> for <paramref name="id"/>. Several endpoints may share an id only
    /// when all of them pass <paramref name="reusePort"/>; otherwise the id is <see cref="TcpipError.PortInUse"/>.
    /// </summary>
    public TcpipError Register(byte protocol, in TransportEndpointId id, ITransportEndpoint endpoint, bool reusePort = false)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var key = new Key(protocol, id);
        lock (_gate)
        {
            if (_table.TryGetValue(key, out var set))
            {
                if (!reusePort || !set.ReusePort)
                {
                    return TcpipError.PortInUse;
                }
                _table[key] = new EndpointSet([.. set.Endpoints, endpoint], true);
                return TcpipError.None;
            }
            _table[key] = new EndpointSet([endpoint], reusePort);
            return TcpipError.None;
        }
    }

    /// <summary>Removes <paramref name="endpoint"/> from <paramref name="id"/>; false if it was not there.</summary>
    public bool Unregister(byte protocol, in TransportEndpointId id, ITransportEndpoint endpoint)
    {
        var key = new Key(protocol, id);
        lock (_gate)
        {
            if (!_table.TryGetValue(key, out var set) || Array.IndexOf(set.Endpoints, endpoint) < 0)
            {
                return false;
            }
            var rest = Array.FindAll(set.Endpoints, e => !ReferenceEquals(e, endpoint));
            if (rest.Length == 0)
            {
                _table.TryRemove(key, out _);
            }
            else
            {
                _table[key] = new EndpointSet(rest, set.ReusePort);
            }
            return true;
        }
    }

    /// <summary>
    /// Puts <paramref name="replacement"/> in <paramref name="current"/>'s place for <paramref name="id"/> in one
    /// step, so no packet finds the id empty in between (TCP hands a connection over to its TIME-WAIT state
    /// this way). False when <paramref name="current"/> was not registered there.
    /// </summary>
    public bool Replace(byte protocol, in TransportEndpointId id, ITransportEndpoint current, ITransportEndpoint replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        var key = new Key(protocol, id);
        lock (_gate)
        {
            if (!_table.TryGetValue(key, out var set))
            {
                return false;
            }
            int i = Array.IndexOf(set.Endpoints, current);
            if (i < 0)
            {
                return false;
            }
            var endpoints = (ITransportEndpoint[])set.Endpoints.Clone();
            endpoints[i] = replacement;
            _table[key] = new EndpointSet(endpoints, set.ReusePort);
            return true;
        }
    }

    /// <summary>The endpoint that would receive a unicast packet for <paramref name="id"/>, if any.</summary>
    public ITransportEndpoint? Find(byte protocol, in TransportEndpointId id)
    {
        if (_table.TryGetValue(new Key(protocol, id), out var set)
            || _table.TryGetValue(new Key(protocol, new TransportEndpointId(id.LocalPort, id.LocalAddress, 0, default)), out set)
            || _table.TryGetValue(new Key(protocol, new TransportEndpointId(id.LocalPort, Wildcard(id.LocalAddress), 0, default)), out set))
        {
            var eps = set.Endpoints;
            return eps.Length == 1 ? eps[0] : eps[(int)(FlowHash(id) % (uint)eps.Length)];
        }
        return null;
    }

    /// <summary>Delivers a unicast packet; false when no endpoint matched.</summary>
    public bool Deliver(Nic nic, byte protocol, PacketBuffer packet, in TransportEndpointId id)
    {
        var endpoint = Find(protocol, id);
        if (endpoint is null)
        {
            return false;
        }
        endpoint.HandlePacket(nic, id, packet);
        return true;
    }

    /// <summary>
    /// Delivers a multicast or broadcast packet to every endpoint bound to the destination port on that
    /// group/broadcast address or on the wildcard address; each gets its own clone. Returns how many.
    /// </summary>
    public int DeliverToAll(Nic nic, byte protocol, PacketBuffer packet, in TransportEndpointId id)
    {
        int delivered = 0;
        var bound = new Key(protocol, new TransportEndpointId(id.LocalPort, id.LocalAddress, 0, default));
        var wildcard = new Key(protocol, new TransportEndpointId(id.LocalPort, Wildcard(id.LocalAddress), 0, default));
        foreach (var key in (ReadOnlySpan<Key>)[bound, wildcard])
        {
            if (!_table.TryGetValue(key, out var set))
            {
                continue;
            }
            foreach (var endpoint in set.Endpoints)
            {
                var copy = packet.Clone();
                try
                {
                    endpoint.HandlePacket(nic, id, copy);
                }
                finally
                {
                    copy.Release();
                }
                delivered++;
            }
        }
        return delivered;
    }

    /// <summary>Reports an error to the endpoint of the exact <paramref name="id"/> (or its bound socket); false if none.</summary>
    public bool DeliverError(byte protocol, in TransportEndpointId id, TransportError error)
    {
        var endpoint = Find(protocol, id);
        if (endpoint is null)
        {
            return false;
        }
        endpoint.HandleError(id, error);
        return true;
    }

    private static Address Wildcard(Address local) => local.IsV6 ? Address.AnyV6 : Address.AnyV4;

    private static uint FlowHash(in TransportEndpointId id) =>
        (uint)HashCode.Combine(id.LocalPort, id.RemotePort, id.RemoteAddress);

    private readonly record struct Key(byte Protocol, TransportEndpointId Id);

    private sealed record EndpointSet(ITransportEndpoint[] Endpoints, bool ReusePort);
}
