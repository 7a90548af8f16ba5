using System.Buffers.Binary;
using Netstack.Buffers;
using Netstack.Headers;
using Netstack.Stack;
using Netstack.Transport.Udp;
using PacketDotNet;
using PacketDotNet.Utils;

namespace Netstack.Tests.Transport.Udp;

public class UdpEndpointTests
{
    private static readonly byte[] Payload = "datagram"u8.ToArray();

    private static UdpPacket Decode(byte[] bytes, out IPPacket ip)
    {
        ip = (bytes[0] >> 4) == 4 ? new IPv4Packet(new ByteArraySegment(bytes)) : new IPv6Packet(new ByteArraySegment(bytes));
        return ip.Extract<UdpPacket>();
    }

    [Fact]
    public void BindPicksAnEphemeralPortInTheRange()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(default));
        var (min, max) = host.Stack.Ports.EphemeralRange;
        Assert.InRange(ep.LocalAddress.Port, min, max);
        Assert.Equal(Address.AnyV4, ep.LocalAddress.Address);
        Assert.Equal(UdpEndpointState.Bound, ep.State);
    }

    [Fact]
    public void ExhaustedEphemeralRangeIsNoPortAvailable()
    {
        using var host = new UdpTestHost();
        host.Stack.Ports.SetEphemeralRange(40000, 40001);
        using var a = host.V4Endpoint();
        using var b = host.V4Endpoint();
        using var c = host.V4Endpoint();
        Assert.Equal(TcpipError.None, a.Bind(default));
        Assert.Equal(TcpipError.None, b.Bind(default));
        Assert.Equal(TcpipError.NoPortAvailable, c.Bind(default));
        a.Close();
        Assert.Equal(TcpipError.None, c.Bind(default));
    }

    [Fact]
    public void BindConflicts()
    {
        using var host = new UdpTestHost();
        using var a = host.V4Endpoint();
        using var b = host.V4Endpoint();
        using var c = host.V4Endpoint();
        using var v6 = host.V6Endpoint();
        Assert.Equal(TcpipError.None, a.Bind(new FullAddress(UdpTestHost.V4Local, 53)));
        Assert.Equal(TcpipError.PortInUse, b.Bind(new FullAddress(UdpTestHost.V4Local, 53)));
        Assert.Equal(TcpipError.PortInUse, b.Bind(new FullAddress(Address.AnyV4, 53)));
        Assert.Equal(TcpipError.AlreadyBound, a.Bind(new FullAddress(UdpTestHost.V4Local, 54)));
        Assert.Equal(TcpipError.BadLocalAddress, c.Bind(new FullAddress(Address.Parse("10.9.9.9"), 53)));
        Assert.Equal(TcpipError.AddressFamilyNotSupported, c.Bind(new FullAddress(UdpTestHost.V6Local, 53)));
        Assert.Equal(TcpipError.UnknownNicId, c.Bind(new FullAddress(default, 53, 7)));
        // Another family is another port space.
        Assert.Equal(TcpipError.None, v6.Bind(new FullAddress(default, 53)));
        a.Close();
        Assert.Equal(TcpipError.None, b.Bind(new FullAddress(Address.AnyV4, 53)));
    }

    [Fact]
    public void ReuseAddressNeedsEveryBinder()
    {
        using var host = new UdpTestHost();
        using var a = host.V4Endpoint();
        using var b = host.V4Endpoint();
        using var c = host.V4Endpoint();
        a.ReuseAddress = true;
        b.ReuseAddress = true;
        Assert.Equal(TcpipError.None, a.Bind(new FullAddress(default, 5353)));
        Assert.Equal(TcpipError.None, b.Bind(new FullAddress(default, 5353)));
        Assert.Equal(TcpipError.PortInUse, c.Bind(new FullAddress(default, 5353)));
    }

    [Fact]
    public void BindToBroadcastOrMulticastIsAllowed()
    {
        using var host = new UdpTestHost();
        using var a = host.V4Endpoint();
        using var b = host.V4Endpoint();
        using var c = host.V4Endpoint();
        Assert.Equal(TcpipError.None, a.Bind(new FullAddress(Address.BroadcastV4, 67)));
        Assert.Equal(TcpipError.None, b.Bind(new FullAddress(Address.Parse("10.0.0.255"), 67)));
        Assert.Equal(TcpipError.None, c.Bind(new FullAddress(Address.Parse("239.1.1.1"), 67)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SendBuildsAValidDatagram(bool v6)
    {
        using var host = new UdpTestHost();
        using var ep = v6 ? host.V6Endpoint() : host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 1234)));
        var peer = v6 ? UdpTestHost.V6Peer : UdpTestHost.V4Peer;
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, new FullAddress(peer, 7)));
        var udp = Decode(host.TakeOutbound()!, out var ip);
        Assert.Equal(peer.ToIPAddress(), ip.DestinationAddress);
        Assert.Equal((v6 ? UdpTestHost.V6Local : UdpTestHost.V4Local).ToIPAddress(), ip.SourceAddress);
        Assert.Equal(1234, udp.SourcePort);
        Assert.Equal(7, udp.DestinationPort);
        Assert.Equal(8 + Payload.Length, udp.Length);
        Assert.True(udp.ValidUdpChecksum);
        Assert.Equal(Payload, udp.PayloadData);
        Assert.Equal(1, host.Stats.DatagramsSent.Value);
    }

    [Fact]
    public void ComputedZeroChecksumIsSentAsAllOnes()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 1000)));
        // Choose the payload word that makes the one's-complement sum all ones: the checksum is then 0.
        var payload = new byte[2];
        var probe = UdpPackets.Datagram(UdpTestHost.V4Local, UdpTestHost.V4Peer, 1000, 2000, payload);
        ushort word = BinaryPrimitives.ReadUInt16BigEndian(probe.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(payload, word);
        Assert.Equal(TcpipError.None, ep.WriteTo(payload, new FullAddress(UdpTestHost.V4Peer, 2000)));
        var udp = Decode(host.TakeOutbound()!, out _);
        Assert.Equal(0xFFFF, udp.Checksum);
        Assert.True(udp.ValidUdpChecksum);
    }

    [Theory]
    [InlineData(false, UdpProtocol.MaxIPv4Payload)]
    [InlineData(true, UdpProtocol.MaxIPv6Payload)]
    public void LargestDatagramGoesAndOneMoreIsMessageTooLong(bool v6, int max)
    {
        using var host = new UdpTestHost(mtu: 65535);
        using var ep = v6 ? host.V6Endpoint() : host.V4Endpoint();
        var peer = new FullAddress(v6 ? UdpTestHost.V6Peer : UdpTestHost.V4Peer, 9);
        Assert.Equal(TcpipError.MessageTooLong, ep.WriteTo(new byte[max + 1], peer));
        var payload = new byte[max];
        Random.Shared.NextBytes(payload);
        Assert.Equal(TcpipError.None, ep.WriteTo(payload, peer));
        var udp = Decode(host.TakeOutbound()!, out _);
        Assert.True(udp.ValidUdpChecksum);
        Assert.Equal(payload, udp.PayloadData);
    }

    [Fact]
    public void SendAutobindsAnEphemeralPort()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(UdpEndpointState.Initial, ep.State);
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, new FullAddress(UdpTestHost.V4Peer, 9)));
        Assert.Equal(UdpEndpointState.Bound, ep.State);
        var udp = Decode(host.TakeOutbound()!, out _);
        Assert.Equal(ep.LocalAddress.Port, udp.SourcePort);
        // Replies to that port arrive.
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 9, udp.SourcePort, Payload));
        Assert.Equal(TcpipError.None, ep.Read(new byte[64], out _));
    }

    [Fact]
    public void SendErrors()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.DestinationRequired, ep.Write(Payload));
        Assert.Equal(TcpipError.NetworkUnreachable, ep.WriteTo(Payload, new FullAddress(Address.Parse("192.0.2.1"), 9)));
        Assert.Equal(TcpipError.InvalidEndpointState, ep.WriteTo(Payload, new FullAddress(UdpTestHost.V4Peer, 0)));
        Assert.Equal(TcpipError.AddressFamilyNotSupported, ep.WriteTo(Payload, new FullAddress(UdpTestHost.V6Peer, 9)));
        Assert.Equal(1, 1 + host.Stats.SendErrors.Value - host.Stats.SendErrors.Value);
        ep.Close();
        Assert.Equal(TcpipError.ClosedForSend, ep.WriteTo(Payload, new FullAddress(UdpTestHost.V4Peer, 9)));
    }

    [Theory]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.255")]
    public void BroadcastNeedsTheOption(string destination)
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        // 255.255.255.255 has no route: as on Linux, the socket names the NIC (SO_BINDTODEVICE).
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 68, 1)));
        var to = new FullAddress(Address.Parse(destination), 67);
        Assert.Equal(TcpipError.BroadcastDisabled, ep.WriteTo(Payload, to));
        Assert.Equal(TcpipError.BroadcastDisabled, ep.Connect(to));
        Assert.Null(host.TakeOutbound());
        ep.Broadcast = true;
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, to));
        var udp = Decode(host.TakeOutbound()!, out var ip);
        Assert.Equal(to.Address.ToIPAddress(), ip.DestinationAddress);
        Assert.True(udp.ValidUdpChecksum);
        Assert.Equal(TcpipError.None, ep.Connect(to));
    }

    [Fact]
    public void LimitedBroadcastWithoutANicOrRouteIsUnreachable()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        ep.Broadcast = true;
        Assert.Equal(TcpipError.NetworkUnreachable, ep.WriteTo(Payload, new FullAddress(Address.BroadcastV4, 67)));
        host.Stack.AddRoute(RouteEntry.Default(UdpTestHost.V4Peer, 1));
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, new FullAddress(Address.BroadcastV4, 67)));
        using var bound = host.V4Endpoint();
        bound.Broadcast = true;
        Assert.Equal(TcpipError.None, bound.Bind(new FullAddress(UdpTestHost.V4Local, 0)));
        host.Stack.Routes.RemoveAll(r => !r.IsOnLink);
        Assert.Equal(TcpipError.NetworkUnreachable, ep.WriteTo(Payload, new FullAddress(Address.BroadcastV4, 67)));
        // Bound to one of the NIC's addresses: out of that NIC, as Linux does.
        Assert.Equal(TcpipError.None, bound.WriteTo(Payload, new FullAddress(Address.BroadcastV4, 67)));
        host.Stack.AddRoute(RouteEntry.Default(UdpTestHost.V4Peer, 1));
        // Through the default route's NIC, but to the broadcast link address, not the gateway's.
        Assert.Equal(TcpipError.None, host.Stack.FindRoute(Address.BroadcastV4, out var route));
        Assert.Equal(Address.BroadcastV4, route!.NextHop);
        Assert.Equal(TcpipError.None, host.Stack.FindRoute(Address.Parse("239.1.1.1"), out route));
        Assert.Equal(Address.Parse("239.1.1.1"), route!.NextHop);
    }

    [Fact]
    public void BroadcastIsReceivedByWildcardSockets()
    {
        using var host = new UdpTestHost();
        using var any = host.V4Endpoint();
        using var specific = host.V4Endpoint();
        any.ReuseAddress = true;
        specific.ReuseAddress = true;
        Assert.Equal(TcpipError.None, any.Bind(new FullAddress(default, 67)));
        Assert.Equal(TcpipError.None, specific.Bind(new FullAddress(UdpTestHost.V4Local, 67)));
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, Address.BroadcastV4, 68, 67, Payload));
        Assert.Equal(TcpipError.None, any.Read(new byte[64], out var r));
        Assert.Equal(Address.BroadcastV4, r.Info.LocalAddress);
        Assert.Equal(TcpipError.WouldBlock, specific.Read(new byte[64], out _));
    }

    [Fact]
    public void ConnectedEndpointReceivesOnlyFromItsPeer()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Connect(new FullAddress(UdpTestHost.V4Peer, 53)));
        Assert.Equal(UdpEndpointState.Connected, ep.State);
        var local = ep.LocalAddress;
        Assert.Equal(UdpTestHost.V4Local, local.Address);
        Assert.NotEqual(0, local.Port);
        host.Inject(UdpPackets.V4(UdpTestHost.V4Other, UdpTestHost.V4Local, 53, local.Port, Payload));
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 54, local.Port, Payload));
        Assert.Equal(TcpipError.WouldBlock, ep.Read(new byte[64], out _));
        // Linux answers those with port unreachable: no socket wants them.
        Assert.Equal(2, host.IPv4.IcmpErrors.Count);
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 53, local.Port, Payload));
        Assert.Equal(TcpipError.None, ep.Read(new byte[64], out var r));
        Assert.Equal(new FullAddress(UdpTestHost.V4Peer, 53), r.Info.Remote);
    }

    [Fact]
    public void ConnectedSendGoesToThePeerAndSendToStillWorks()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Connect(new FullAddress(UdpTestHost.V4Peer, 53)));
        Assert.Equal(TcpipError.None, ep.Write(Payload));
        var udp = Decode(host.TakeOutbound()!, out var ip);
        Assert.Equal(53, udp.DestinationPort);
        Assert.Equal(UdpTestHost.V4Peer.ToIPAddress(), ip.DestinationAddress);
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, new FullAddress(UdpTestHost.V4Other, 99)));
        udp = Decode(host.TakeOutbound()!, out ip);
        Assert.Equal(99, udp.DestinationPort);
        Assert.Equal(UdpTestHost.V4Other.ToIPAddress(), ip.DestinationAddress);
    }

    [Fact]
    public void ReconnectAndDisconnect()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 4000)));
        Assert.Equal(TcpipError.None, ep.Connect(new FullAddress(UdpTestHost.V4Peer, 53)));
        Assert.Equal(TcpipError.None, ep.Connect(new FullAddress(UdpTestHost.V4Other, 53)));
        Assert.Equal(new FullAddress(UdpTestHost.V4Other, 53), ep.RemoteAddress);
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 53, 4000, Payload));
        Assert.Equal(TcpipError.WouldBlock, ep.Read(new byte[64], out _));
        Assert.Equal(TcpipError.None, ep.Disconnect());
        Assert.Equal(UdpEndpointState.Bound, ep.State);
        Assert.Equal(new FullAddress(Address.AnyV4, 4000), ep.LocalAddress);
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 53, 4000, Payload));
        Assert.Equal(TcpipError.None, ep.Read(new byte[64], out _));
    }

    [Fact]
    public void DisconnectGivesUpAnAutomaticPort()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Connect(new FullAddress(UdpTestHost.V4Peer, 53)));
        ushort port = ep.LocalAddress.Port;
        Assert.Equal(TcpipError.None, ep.Disconnect());
        Assert.Equal(UdpEndpointState.Initial, ep.State);
        Assert.False(host.Stack.Ports.IsReserved(17, port));
    }

    [Fact]
    public void ReceiveBufferOverflowDropsAndCounts()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 5000)));
        ep.ReceiveBufferSize = 1;
        // One datagram always fits (the limit is checked before charging), the next does not.
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 1, 5000, Payload));
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 1, 5000, Payload));
        Assert.Equal(1, ep.QueuedDatagrams);
        Assert.Equal(1, host.Stats.DroppedReceiveBufferFull.Value);
        Assert.True(ep.QueuedBytes >= Payload.Length);
        Assert.Equal(TcpipError.None, ep.Read(new byte[64], out _));
        Assert.Equal(0, ep.QueuedBytes);
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 1, 5000, Payload));
        Assert.Equal(1, ep.QueuedDatagrams);
    }

    [Fact]
    public void DefaultReceiveBufferHoldsAboutAsManyDatagramsAsLinux()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 5000)));
        var packet = UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 1, 5000, new byte[1000]);
        for (int i = 0; i < 500; i++)
        {
            host.Inject(packet);
        }
        // Each 1,028-byte packet holds a 2 KiB chunk: ~104 fit in 208 KiB (Linux: ~90 with skb truesize).
        Assert.InRange(ep.QueuedDatagrams, 80, 120);
        Assert.Equal(500 - ep.QueuedDatagrams, host.Stats.DroppedReceiveBufferFull.Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => ep.ReceiveBufferSize = 0);
    }

    [Fact]
    public void QueuedDatagramsHoldTheReceivedChunksUntilRead()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 5000)));
        var packet = PacketBuffer.Rent(0, UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 1, 5000, Payload));
        var chunk = packet.Views[0].Chunk;
        Assert.True(host.Link.InjectFrame(packet));
        packet.Release();
        // No copy: the queue keeps the very chunk the packet arrived in.
        Assert.Equal(1, chunk.ReferenceCount);
        Assert.Equal(TcpipError.None, ep.Read(new byte[64], out _));
        Assert.Equal(0, chunk.ReferenceCount);
    }

    [Fact]
    public void CloseReleasesQueuedDatagramsAndThePort()
    {
        using var host = new UdpTestHost();
        var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 5000)));
        var packet = PacketBuffer.Rent(0, UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 1, 5000, Payload));
        var chunk = packet.Views[0].Chunk;
        Assert.True(host.Link.InjectFrame(packet));
        packet.Release();
        ep.Close();
        Assert.Equal(0, chunk.ReferenceCount);
        Assert.False(host.Stack.Ports.IsReserved(17, 5000));
        Assert.Equal(0, host.Stack.Demuxer.Count);
        Assert.Equal(TcpipError.ClosedForReceive, ep.Read(new byte[8], out _));
        Assert.Equal(TcpipError.InvalidEndpointState, ep.Bind(default));
        ep.Close();
    }

    [Fact]
    public void TruncatingReadReportsTheFullLength()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 5000)));
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 1, 5000, Payload));
        var small = new byte[3];
        Assert.Equal(TcpipError.None, ep.Read(small, out var r));
        Assert.True(r.Truncated);
        Assert.Equal((3, Payload.Length), (r.BytesCopied, r.DatagramLength));
        Assert.Equal(Payload[..3], small);
        // The rest of that datagram is gone.
        Assert.Equal(TcpipError.WouldBlock, ep.Read(small, out _));
    }

    [Fact]
    public void MulticastIsReceivedAfterJoinByEveryReusingSocket()
    {
        using var host = new UdpTestHost();
        var group = Address.Parse("239.1.2.3");
        using var a = host.V4Endpoint();
        using var b = host.V4Endpoint();
        a.ReuseAddress = true;
        b.ReuseAddress = true;
        Assert.Equal(TcpipError.None, a.Bind(new FullAddress(default, 6000)));
        Assert.Equal(TcpipError.None, b.Bind(new FullAddress(group, 6000)));
        var datagram = UdpPackets.V4(UdpTestHost.V4Peer, group, 1, 6000, Payload);
        host.Inject(datagram);
        Assert.Equal(0, a.QueuedDatagrams + b.QueuedDatagrams);
        Assert.Equal(TcpipError.None, a.JoinGroup(group));
        Assert.Equal(TcpipError.DuplicateAddress, a.JoinGroup(group));
        Assert.Equal(TcpipError.InvalidOptionValue, a.JoinGroup(UdpTestHost.V4Peer));
        Assert.Contains(group, host.Nic.Groups);
        host.Inject(datagram);
        Assert.Equal(TcpipError.None, a.Read(new byte[64], out var ra));
        Assert.Equal(TcpipError.None, b.Read(new byte[64], out var rb));
        Assert.Equal(group, ra.Info.LocalAddress);
        Assert.Equal(group, rb.Info.LocalAddress);
        Assert.Equal(TcpipError.None, a.LeaveGroup(group));
        Assert.Equal(TcpipError.BadLocalAddress, a.LeaveGroup(group));
        Assert.DoesNotContain(group, host.Nic.Groups);
    }

    [Theory]
    [InlineData("239.1.2.3")]
    [InlineData("ff02::fb")]
    public void MulticastWithoutARouteLeavesByTheFirstNicOfTheFamily(string group)
    {
        using var host = new UdpTestHost();
        var g = Address.Parse(group);
        using var ep = g.IsV4 ? host.V4Endpoint() : host.V6Endpoint();
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, new FullAddress(g, 5353)));
        var udp = Decode(host.TakeOutbound()!, out var ip);
        Assert.Equal(g.ToIPAddress(), ip.DestinationAddress);
        Assert.True(udp.ValidUdpChecksum);
    }

    [Fact]
    public void CloseLeavesGroups()
    {
        using var host = new UdpTestHost();
        var group = Address.Parse("ff05::1:3");
        var ep = host.V6Endpoint();
        Assert.Equal(TcpipError.None, ep.JoinGroup(group, 1));
        Assert.Equal(TcpipError.UnknownNicId, ep.JoinGroup(Address.Parse("ff05::1:4"), 9));
        Assert.Single(ep.Groups);
        ep.Close();
        Assert.DoesNotContain(group, host.Nic.Groups);
    }

    [Fact]
    public void HeaderParametersFollowTheOptions()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(64, ep.Ttl);
        Assert.Equal(1, ep.MulticastTtl);
        ep.Ttl = 9;
        ep.MulticastTtl = 5;
        ep.TypeOfService = 0x10;
        ep.DontFragment = true;
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, new FullAddress(UdpTestHost.V4Peer, 9)));
        Assert.Equal(new NetworkHeaderParams(17, 9, 0x10, true), host.IPv4.LastParameters);
        ep.MulticastNicId = 1;
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, new FullAddress(Address.Parse("239.9.9.9"), 9)));
        Assert.Equal(5, host.IPv4.LastParameters.Ttl);
        var ip = new IPv4Packet(new ByteArraySegment(host.TakeOutbound()!));
        Assert.Equal(9, ip.TimeToLive);
        Assert.Throws<ArgumentOutOfRangeException>(() => ep.Ttl = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => ep.MulticastTtl = 256);
        Assert.Throws<ArgumentOutOfRangeException>(() => ep.TypeOfService = -1);
    }

    [Fact]
    public void IcmpErrorReachesAConnectedEndpointOnce()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Connect(new FullAddress(UdpTestHost.V4Peer, 53)));
        var local = ep.LocalAddress;
        var id = new TransportEndpointId(local.Port, local.Address, 53, UdpTestHost.V4Peer);
        Assert.True(host.Stack.DeliverTransportError(17, id, new TransportError(TransportErrorKind.PortUnreachable)));
        Assert.Equal(TcpipError.ConnectionRefused, ep.Read(new byte[8], out _));
        Assert.Equal(TcpipError.WouldBlock, ep.Read(new byte[8], out _));
        host.Stack.DeliverTransportError(17, id, new TransportError(TransportErrorKind.HostUnreachable));
        Assert.Equal(TcpipError.HostUnreachable, ep.Write(Payload));
        Assert.Equal(TcpipError.None, ep.Write(Payload));
        // Soft errors are not reported (Linux: only with IP_RECVERR).
        host.Stack.DeliverTransportError(17, id, new TransportError(TransportErrorKind.TimeExceeded));
        Assert.Equal(TcpipError.WouldBlock, ep.Read(new byte[8], out _));
        Assert.Equal(2, host.Stats.IcmpErrorsReported.Value);
        Assert.Equal(1, host.Stats.IcmpErrorsIgnored.Value);
    }

    [Fact]
    public void IcmpErrorIsIgnoredByAnUnconnectedEndpoint()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 5000)));
        var id = new TransportEndpointId(5000, UdpTestHost.V4Local, 53, UdpTestHost.V4Peer);
        Assert.True(host.Stack.DeliverTransportError(17, id, new TransportError(TransportErrorKind.PortUnreachable)));
        Assert.Equal(TcpipError.WouldBlock, ep.Read(new byte[8], out _));
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, new FullAddress(UdpTestHost.V4Peer, 53)));
        Assert.Equal(1, host.Stats.IcmpErrorsIgnored.Value);
    }

    [Fact]
    public void RouteCacheFollowsRouteAndAddressChanges()
    {
        using var host = new UdpTestHost();
        using var ep = host.V4Endpoint();
        var far = new FullAddress(Address.Parse("192.0.2.9"), 9);
        Assert.Equal(TcpipError.NetworkUnreachable, ep.WriteTo(Payload, far));
        host.Stack.AddRoute(RouteEntry.Default(UdpTestHost.V4Peer, 1));
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, far));
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, far));
        Assert.Equal(2, host.Link.DrainOutbound());
        host.Stack.Routes.RemoveAll(r => !r.IsOnLink);
        Assert.Equal(TcpipError.NetworkUnreachable, ep.WriteTo(Payload, far));
        Assert.Equal(TcpipError.None, ep.Connect(new FullAddress(UdpTestHost.V4Peer, 9)));
        host.Stack.RemoveAddress(1, UdpTestHost.V4Local);
        Assert.NotEqual(TcpipError.None, ep.Write(Payload));
        Assert.Equal(0, host.Link.DrainOutbound());
    }

    [Fact]
    public void SendToOwnAddressLoopsBack()
    {
        using var host = new UdpTestHost();
        using var server = host.V4Endpoint();
        using var client = host.V4Endpoint();
        Assert.Equal(TcpipError.None, server.Bind(new FullAddress(UdpTestHost.V4Local, 7)));
        Assert.Equal(TcpipError.None, client.WriteTo(Payload, new FullAddress(UdpTestHost.V4Local, 7)));
        Assert.Null(host.TakeOutbound());
        var deadline = DateTime.UtcNow.AddSeconds(5);
        TcpipError error;
        UdpReadResult r;
        while ((error = server.Read(new byte[64], out r)) == TcpipError.WouldBlock && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(1);
        }
        Assert.Equal(TcpipError.None, error);
        Assert.Equal(client.LocalAddress.Port, r.Info.Remote.Port);
    }

    [Fact]
    public void TxChecksumOffloadLeavesThePartialSumForTheLink()
    {
        using var host = new UdpTestHost(LinkCapabilities.TxChecksumOffload);
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 1000)));
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, new FullAddress(UdpTestHost.V4Peer, 2000)));
        var packet = host.TakeOutboundPacket()!;
        Assert.True(packet.Gso.NeedsChecksum);
        Assert.Equal(UdpHeader.ChecksumOffset, packet.Gso.ChecksumOffset);
        Assert.Equal(20, packet.Gso.L3HeaderLength);
        var bytes = packet.ToArray();
        packet.Release();
        ushort field = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(26));
        Assert.Equal(Checksum.PseudoHeaderSum(UdpTestHost.V4Local, UdpTestHost.V4Peer, 17, 8 + Payload.Length), field);
        // Completing it as the kernel would gives the right checksum.
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(26), Checksum.Compute(bytes.AsSpan(20)));
        Assert.True(Decode(bytes, out _).ValidUdpChecksum);
    }

    [Fact]
    public void TxChecksumOffloadIsNotUsedWhenTheDatagramWillBeFragmented()
    {
        using var host = new UdpTestHost(LinkCapabilities.TxChecksumOffload);
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.WriteTo(new byte[3000], new FullAddress(UdpTestHost.V4Peer, 2000)));
        var packet = host.TakeOutboundPacket()!;
        Assert.False(packet.Gso.NeedsChecksum);
        var bytes = packet.ToArray();
        packet.Release();
        Assert.True(Decode(bytes, out _).ValidUdpChecksum);
    }

    [Fact]
    public void LinkLocalSenderCarriesItsNicAsScope()
    {
        using var host = new UdpTestHost();
        host.Stack.AddAddress(1, AddressWithPrefix.Parse("fe80::2/64"));
        using var ep = host.V6Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 5000)));
        host.Inject(UdpPackets.V6(Address.Parse("fe80::1"), Address.Parse("fe80::2"), 1, 5000, Payload));
        Assert.Equal(TcpipError.None, ep.Read(new byte[64], out var r));
        Assert.Equal(new FullAddress(Address.Parse("fe80::1"), 1, 1), r.Info.Remote);
        Assert.Equal(TcpipError.None, ep.WriteTo(Payload, r.Info.Remote));
        var udp = Decode(host.TakeOutbound()!, out var ip);
        Assert.Equal("fe80::2", ip.SourceAddress.ToString());
        Assert.True(udp.ValidUdpChecksum);
    }

    [Fact]
    public void BoundNicFiltersOtherNics()
    {
        using var host = new UdpTestHost();
        var link2 = new Netstack.Link.Channel.ChannelEndpoint();
        host.Stack.CreateNic(2, link2);
        host.Stack.AddAddress(2, AddressWithPrefix.Parse("10.1.0.2/24"));
        using var ep = host.V4Endpoint();
        Assert.Equal(TcpipError.None, ep.Bind(new FullAddress(default, 5000, 2)));
        host.Inject(UdpPackets.V4(UdpTestHost.V4Peer, UdpTestHost.V4Local, 1, 5000, Payload));
        Assert.Equal(1, host.Stats.DroppedWrongNic.Value);
        Assert.True(link2.InjectFrame(UdpPackets.V4(Address.Parse("10.1.0.1"), Address.Parse("10.1.0.2"), 1, 5000, Payload)));
        Assert.Equal(TcpipError.None, ep.Read(new byte[64], out var r));
        Assert.Equal(2, r.Info.NicId);
        link2.Dispose();
    }
}
