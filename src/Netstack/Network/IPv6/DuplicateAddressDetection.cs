using System.Security.Cryptography;
using Netstack.Stack;
using Netstack.Stack.Timers;

namespace Netstack.Network.IPv6;

/// <summary>
/// Duplicate address detection for the addresses of one NIC (RFC 4862 section 5.4): while an address is
/// tentative, <see cref="Ipv6Options.DupAddrDetectTransmits"/> solicitations from :: go to its
/// solicited-node group, <see cref="Ipv6Options.DadRetransmitTimer"/> apart; if nothing objects within
/// that time after the last, the address is assigned. Each solicitation carries a nonce (RFC 7527) so a
/// copy looped back by the link is not taken for another node.
/// </summary>
internal sealed class DuplicateAddressDetection
{
    private readonly NeighborDiscovery _ndp;
    private readonly Nic _nic;
    private readonly TimerWheel _wheel;
    private readonly Ipv6Options _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<Address, Run> _runs = new();

    public DuplicateAddressDetection(NeighborDiscovery ndp, Nic nic, TimerWheel wheel, Ipv6Options options)
    {
        _ndp = ndp;
        _nic = nic;
        _wheel = wheel;
        _options = options;
    }

    /// <summary>Starts DAD for a tentative address (nothing if it is already running).</summary>
    public void Start(NicAddress address)
    {
        Run run;
        lock (_gate)
        {
            if (_runs.ContainsKey(address.Address))
            {
                return;
            }
            run = new Run(this, address, NewNonce()) { Remaining = _options.DupAddrDetectTransmits - 1 };
            _runs.Add(address.Address, run);
            run.Timer.Schedule(_options.DadRetransmitTimer);
        }
        _ndp.SendDadSolicitation(_nic, address.Address, run.Nonce);
    }

    /// <summary>
    /// The address DAD is running for, if any. The first solicitation goes out while the stack is still adding
    /// the address, so a fast answer can arrive before the NIC lists it.
    /// </summary>
    public NicAddress? Find(Address address)
    {
        lock (_gate)
        {
            return _runs.TryGetValue(address, out var run) ? run.Address : null;
        }
    }

    /// <summary>True when a DAD solicitation for <paramref name="target"/> with <paramref name="nonce"/> is our own, looped back.</summary>
    public bool IsOwnSolicitation(Address target, ulong nonce)
    {
        lock (_gate)
        {
            return nonce != 0 && _runs.TryGetValue(target, out var run) && run.Nonce == nonce;
        }
    }

    /// <summary>Stops DAD for <paramref name="address"/>.</summary>
    public void Cancel(Address address)
    {
        lock (_gate)
        {
            if (_runs.Remove(address, out var run))
            {
                run.Timer.Cancel();
            }
        }
    }

    /// <summary>Stops every run.</summary>
    public void CancelAll()
    {
        lock (_gate)
        {
            foreach (var run in _runs.Values)
            {
                run.Timer.Cancel();
            }
            _runs.Clear();
        }
    }

    private void OnTimer(Run run)
    {
        bool send = false;
        lock (_gate)
        {
            if (!_runs.TryGetValue(run.Address.Address, out var current) || current != run)
            {
                return;
            }
            if (run.Remaining > 0)
            {
                run.Remaining--;
                run.Timer.Schedule(_options.DadRetransmitTimer);
                send = true;
            }
            else
            {
                _runs.Remove(run.Address.Address);
            }
        }
        if (send)
        {
            _ndp.SendDadSolicitation(_nic, run.Address.Address, run.Nonce);
        }
        else
        {
            _ndp.OnDadSucceeded(_nic, run.Address);
        }
    }

    private static ulong NewNonce()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        // Six bytes (the option's size), never zero.
        return (BitConverter.ToUInt64(bytes) & 0xFFFF_FFFF_FFFF) | 1;
    }

    private sealed class Run
    {
        public Run(DuplicateAddressDetection owner, NicAddress address, ulong nonce)
        {
            Address = address;
            Nonce = nonce;
            Timer = new WheelTimer(owner._wheel, static s =>
            {
                var (o, r) = ((DuplicateAddressDetection, Run))s!;
                o.OnTimer(r);
            }, (owner, this));
        }

        public NicAddress Address { get; }

        public ulong Nonce { get; }

        public WheelTimer Timer { get; }

        public int Remaining { get; set; }
    }
}
