using System.Buffers.Binary;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Stack.Timers;

namespace Netstack.Network.IPv6;

/// <summary>
/// Router discovery and stateless address autoconfiguration for one NIC (RFC 4861 section 6.3, RFC 4862
/// section 5.5): router solicitations after the link-local address is usable; from advertisements, default
/// routers (a ::/0 route each, metric 1024 as Linux), on-link prefixes (a route each, metric 256), the link
/// MTU, and a /64 address per autonomous prefix, each with its lifetime. Routes and addresses configured
/// by the user are never touched.
/// </summary>
internal sealed class RouterDiscovery
{
    private const int DefaultRouteMetric = 1024;
    private const int PrefixRouteMetric = 256;
    private const uint TwoHours = 7200;
    private const int MaxRouters = 16;
    private const int MaxPrefixes = 64;

    private readonly NeighborDiscovery _ndp;
    private readonly Ipv6Protocol _ip;
    private readonly Nic _nic;
    private readonly TimerWheel _wheel;
    private readonly Lock _gate = new();
    private readonly Dictionary<Address, LifetimeTimer> _routers = new();
    private readonly Dictionary<Subnet, LifetimeTimer> _prefixes = new();
    private readonly Dictionary<Subnet, SlaacAddress> _slaac = new();
    private readonly WheelTimer _solicitTimer;
    private int _solicitationsLeft;
    private bool _solicited;
    private readonly Action<Address> _onRouterExpired;
    private readonly Action<Subnet> _onPrefixExpired;
    private bool _removed;
    private volatile int _advertisedMtu;

    public RouterDiscovery(NeighborDiscovery ndp, Ipv6Protocol ip, Nic nic)
    {
        _ndp = ndp;
        _ip = ip;
        _nic = nic;
        _wheel = ip.Stack.Timers;
        _solicitTimer = new WheelTimer(_wheel, static s => ((RouterDiscovery)s!).OnSolicitTimer(), this);
        _onRouterExpired = OnRouterExpired;
        _onPrefixExpired = OnPrefixExpired;
    }

    /// <summary>The MTU the routers advertised (0: none).</summary>
    public int AdvertisedMtu => _advertisedMtu;

    /// <summary>The default routers learned (a snapshot).</summary>
    public Address[] Routers
    {
        get
        {
            lock (_gate)
            {
                return _routers.Keys.ToArray();
            }
        }
    }

    /// <summary>Starts soliciting routers (once per enable), after a random delay of up to one second (RFC 4861 section 6.3.7).</summary>
    public void StartSolicitation()
    {
        if (_ip.Options.MaxRouterSolicitations == 0 || !_ip.Options.HandleRouterAdvertisements)
        {
            return;
        }
        lock (_gate)
        {
            if (_solicited || _removed)
            {
                return;
            }
            _solicited = true;
            _solicitationsLeft = _ip.Options.MaxRouterSolicitations;
            _solicitTimer.Schedule(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 1000)));
        }
    }

    /// <summary>Stops soliciting; with <paramref name="rearm"/> the next enable solicits again.</summary>
    public void StopSolicitation(bool rearm)
    {
        lock (_gate)
        {
            _solicitationsLeft = 0;
            _solicitTimer.Cancel();
            if (rearm)
            {
                _solicited = false;
            }
        }
    }

    /// <summary>Cancels every timer (the NIC is going away; its routes and addresses are removed by the stack).</summary>
    public void Remove()
    {
        lock (_gate)
        {
            _removed = true;
            _solicitTimer.Cancel();
            foreach (var t in _routers.Values)
            {
                t.Cancel();
            }
            foreach (var t in _prefixes.Values)
            {
                t.Cancel();
            }
            foreach (var s in _slaac.Values)
            {
                s.Preferred.Cancel();
                s.Valid.Cancel();
            }
            _routers.Clear();
            _prefixes.Clear();
            _slaac.Clear();
        }
    }

    /// <summary>True when <paramref name="address"/> is a SLAAC address past its preferred lifetime.</summary>
    public bool IsDeprecated(Address address)
    {
        lock (_gate)
        {
            foreach (var s in _slaac.Values)
            {
                if (s.Address == address)
                {
                    return s.Deprecated;
                }
            }
        }
        return false;
    }

    /// <summary>Forgets the SLAAC record of an address that was removed.</summary>
    public void OnAddressRemoved(Address address)
    {
        lock (_gate)
        {
            foreach (var (prefix, s) in _slaac)
            {
                if (s.Address == address)
                {
                    s.Preferred.Cancel();
                    s.Valid.Cancel();
                    _slaac.Remove(prefix);
                    return;
                }
            }
        }
    }

    /// <summary>A neighbour advertisement without the R flag: if it was a default router, it is one no more (RFC 4861 section 7.2.5).</summary>
    public void OnNoLongerRouter(Address address) => UpdateRouter(address, 0);

    /// <summary>Acts on a valid router advertisement from <paramref name="router"/>.</summary>
    public void HandleAdvertisement(Address router, NdpRouterAdvertisement advertisement)
    {
        StopSolicitation(rearm: false);
        var reader = new NdpOptionReader(advertisement.Options);
        while (reader.TryRead(out var option))
        {
            switch (option.Type)
            {
                case NdpOptionType.Mtu when option.Body.Length >= 6:
                    uint mtu = BinaryPrimitives.ReadUInt32BigEndian(option.Body[2..]);
                    if (mtu >= Ipv6Header.MinimumMtu && mtu <= (uint)_nic.Mtu)
                    {
                        _advertisedMtu = (int)mtu;
                    }
                    break;
                case NdpOptionType.PrefixInformation:
                    if (NdpPrefixInformation.TryParse(option.Body, out var prefix))
                    {
                        HandlePrefix(prefix);
                    }
                    break;
            }
        }
        UpdateRouter(router, advertisement.RouterLifetime);
    }

    private void UpdateRouter(Address router, uint lifetime) =>
        UpdateLearnedRoute(_routers, MaxRouters, router, DefaultRoute(router), lifetime, _onRouterExpired);

    private void OnRouterExpired(Address router)
    {
        if (LifetimeEnded(_routers, router))
        {
            UpdateRouter(router, 0);
        }
    }

    private RouteEntry DefaultRoute(Address router) => new(new Subnet(Address.AnyV6, 0), router, _nic.Id, DefaultRouteMetric);

    private void HandlePrefix(NdpPrefixInformation info)
    {
        var address = info.Prefix;
        // RFC 4861 section 6.3.4 / RFC 4862 section 5.5.3 (a)/(b): never the link-local prefix.
        if (info.PrefixLength > 128 || address.IsLinkLocalUnicast || address.IsMulticast)
        {
            return;
        }
        var subnet = new Subnet(address, info.PrefixLength);
        if (info.OnLink)
        {
            UpdateOnLinkPrefix(subnet, info.ValidLifetime);
        }
        if (info.Autonomous && _ip.Options.AutoconfigureAddresses)
        {
            UpdateSlaac(subnet, info.ValidLifetime, info.PreferredLifetime, info.OnLink);
        }
    }

    private void UpdateOnLinkPrefix(Subnet subnet, uint valid) =>
        UpdateLearnedRoute(_prefixes, MaxPrefixes, subnet, RouteEntry.OnLink(subnet, _nic.Id, PrefixRouteMetric), valid, _onPrefixExpired);

    private void OnPrefixExpired(Subnet subnet)
    {
        if (LifetimeEnded(_prefixes, subnet))
        {
            UpdateOnLinkPrefix(subnet, 0);
        }
    }

    // A default router and an on-link prefix are both a route that lives as long as the advertisement says
    // (RFC 4861 section 6.3.4): added with its first advertisement (while the table has room), renewed by
    // later ones, removed by a zero lifetime or when the lifetime runs out.
    private void UpdateLearnedRoute<TKey>(Dictionary<TKey, LifetimeTimer> table, int capacity, TKey key, RouteEntry route,
        uint lifetime, Action<TKey> onExpired)
        where TKey : notnull
    {
        lock (_gate)
        {
            if (_removed)
            {
                return;
            }
            if (lifetime == 0)
            {
                if (table.Remove(key, out var gone))
                {
                    gone.Cancel();
                    _ip.Stack.Routes.RemoveAll(r => r == route);
                }
                return;
            }
            if (!table.TryGetValue(key, out var timer))
            {
                if (table.Count >= capacity)
                {
                    return;
                }
                timer = new LifetimeTimer(_wheel, () => onExpired(key));
                table.Add(key, timer);
                _ip.Stack.AddRoute(route);
            }
            timer.SetSeconds(lifetime);
        }
    }

    // True when the lifetime of `key` really ran out; a renewal that raced the timer re-arms it instead.
    private bool LifetimeEnded<TKey>(Dictionary<TKey, LifetimeTimer> table, TKey key)
        where TKey : notnull
    {
        lock (_gate)
        {
            if (table.TryGetValue(key, out var timer) && !timer.HasExpired)
            {
                timer.Arm();
                return false;
            }
            return true;
        }
    }

    private void UpdateSlaac(Subnet subnet, uint valid, uint preferred, bool onLink)
    {
        // RFC 4862 section 5.5.3 (c)/(d): preferred within valid; the interface identifier is 64 bits.
        if (preferred > valid || subnet.PrefixLength != 64 || _nic.LinkAddress.IsEmpty)
        {
            return;
        }
        var address = Ipv6Address.FromPrefix(subnet.Network, _nic.LinkAddress);
        lock (_gate)
        {
            if (_removed)
            {
                return;
            }
            if (_slaac.TryGetValue(subnet, out var known))
            {
                // Section 5.5.3 (e): an advertisement may not cut the valid lifetime below two hours.
                long remaining = known.Valid.RemainingMs;
                if (valid > TwoHours || valid * 1000L > remaining)
                {
                    known.Valid.SetSeconds(valid);
                }
                else if (remaining > TwoHours * 1000L)
                {
                    known.Valid.SetSeconds(TwoHours);
                }
                SetPreferred(known, preferred);
                return;
            }
            if (valid == 0 || _nic.FindAddress(address) is not null || _slaac.Count >= MaxPrefixes)
            {
                return;
            }
        }
        // Without the L flag the prefix is not on-link (RFC 5942): a /128 adds no route.
        try
        {
            _ip.Stack.AddAddress(_nic.Id, new AddressWithPrefix(address, onLink ? 64 : 128), AddressKind.Autoconfigured);
        }
        catch (InvalidOperationException)
        {
            return;
        }
        lock (_gate)
        {
            if (_removed || _slaac.ContainsKey(subnet))
            {
                return;
            }
            var record = new SlaacAddress(address, _wheel, this, subnet);
            _slaac.Add(subnet, record);
            record.Valid.SetSeconds(valid);
            SetPreferred(record, preferred);
        }
    }

    // Called under the lock.
    private void SetPreferred(SlaacAddress record, uint preferred)
    {
        if (preferred == 0)
        {
            record.Preferred.Cancel();
            Deprecate(record);
            return;
        }
        record.Preferred.SetSeconds(preferred);
        if (record.Deprecated)
        {
            record.Deprecated = false;
            var entry = _nic.FindAddress(record.Address);
            if (entry is { State: AddressState.Deprecated })
            {
                entry.State = AddressState.Assigned;
            }
        }
    }

    private void Deprecate(SlaacAddress record)
    {
        record.Deprecated = true;
        var entry = _nic.FindAddress(record.Address);
        if (entry is { State: AddressState.Assigned })
        {
            entry.State = AddressState.Deprecated;
        }
    }

    private void OnPreferredExpired(Subnet subnet)
    {
        lock (_gate)
        {
            if (!_slaac.TryGetValue(subnet, out var record))
            {
                return;
            }
            if (!record.Preferred.HasExpired)
            {
                record.Preferred.Arm();
                return;
            }
            Deprecate(record);
        }
    }

    private void OnValidExpired(Subnet subnet)
    {
        Address address;
        lock (_gate)
        {
            if (!_slaac.TryGetValue(subnet, out var record))
            {
                return;
            }
            if (!record.Valid.HasExpired)
            {
                record.Valid.Arm();
                return;
            }
            record.Preferred.Cancel();
            _slaac.Remove(subnet);
            address = record.Address;
        }
        try
        {
            _ip.Stack.RemoveAddress(_nic.Id, address);
        }
        catch (ArgumentException)
        {
            // The NIC was removed meanwhile, and its addresses with it.
        }
    }

    private void OnSolicitTimer()
    {
        lock (_gate)
        {
            if (_solicitationsLeft <= 0 || _removed)
            {
                return;
            }
            if (--_solicitationsLeft > 0)
            {
                _solicitTimer.Schedule(_ip.Options.RouterSolicitationInterval);
            }
        }
        _ndp.SendRouterSolicitation(_nic);
    }

    private sealed class SlaacAddress
    {
        public SlaacAddress(Address address, TimerWheel wheel, RouterDiscovery owner, Subnet prefix)
        {
            Address = address;
            Preferred = new LifetimeTimer(wheel, () => owner.OnPreferredExpired(prefix));
            Valid = new LifetimeTimer(wheel, () => owner.OnValidExpired(prefix));
        }

        public Address Address { get; }

        public LifetimeTimer Preferred { get; }

        public LifetimeTimer Valid { get; }

        public bool Deprecated { get; set; }
    }
}
