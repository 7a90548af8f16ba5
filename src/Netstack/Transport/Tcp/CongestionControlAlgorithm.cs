namespace Netstack.Transport.Tcp;

/// <summary>The congestion control a TCP connection uses; selectable per connection.</summary>
public enum CongestionControlAlgorithm
{
    /// <summary>CUBIC (RFC 9438), the default, as in Linux.</summary>
    Cubic,
    /// <summary>NewReno (RFC 5681, RFC 6582).</summary>
    NewReno,
}
