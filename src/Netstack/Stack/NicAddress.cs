namespace Netstack.Stack;

/// <summary>An address assigned to a NIC, with its prefix, state and origin.</summary>
public sealed class NicAddress
{
    private readonly NetworkStack _stack;
    private volatile AddressState _state;

    internal NicAddress(NetworkStack stack, AddressWithPrefix address, AddressKind kind, AddressState state)
    {
        _stack = stack;
        AddressWithPrefix = address;
        Kind = kind;
        _state = state;
    }

    /// <summary>The address and prefix length.</summary>
    public AddressWithPrefix AddressWithPrefix { get; }

    /// <summary>The address.</summary>
    public Address Address => AddressWithPrefix.Address;

    /// <summary>The on-link subnet.</summary>
    public Subnet Subnet => AddressWithPrefix.Subnet;

    /// <summary>How the address was configured.</summary>
    public AddressKind Kind { get; }

    /// <summary>Where the address is in its life cycle.</summary>
    public AddressState State
    {
        get => _state;
        internal set
        {
            _state = value;
            // Source address selection and local delivery depend on the state.
            _stack.OnInterfacesChanged();
        }
    }

    /// <summary>True when packets to this address are accepted (assigned or deprecated).</summary>
    public bool AcceptsTraffic => _state is AddressState.Assigned or AddressState.Deprecated;

    /// <inheritdoc/>
    public override string ToString() => $"{AddressWithPrefix} ({Kind}, {State})";
}
