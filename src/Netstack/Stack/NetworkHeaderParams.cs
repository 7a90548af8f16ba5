namespace Netstack.Stack;

/// <summary>What a transport protocol tells the network layer about the header to add.</summary>
/// <param name="Protocol">Transport protocol number (IPv4 Protocol / IPv6 Next Header).</param>
/// <param name="Ttl">IPv4 TTL / IPv6 hop limit; 0 means the protocol's default.</param>
/// <param name="Tos">IPv4 type of service / IPv6 traffic class.</param>
/// <param name="DontFragment">Set DF (IPv4); a packet above the MTU then fails with <see cref="TcpipError.MessageTooLong"/>.</param>
public readonly record struct NetworkHeaderParams(byte Protocol, byte Ttl = 0, byte Tos = 0, bool DontFragment = false);
