using Netstack.Transport.Tcp;

namespace Netstack.Tests.Transport.Tcp;

/// <summary>Reaches the stack's TCP endpoints through the demultiplexer for state assertions.</summary>
internal static class TcpProtocolTestAccess
{
    /// <summary>The state of the one connection whose peer is the scripted peer.</summary>
    public static TcpState SingleConnectionState(TcpTestHost host)
    {
        for (ushort port = 32768; port <= 60999; port++)
        {
            if (host.Stack.Demuxer.Find(6, new Netstack.Stack.TransportEndpointId(port, TcpTestHost.Local, ScriptedConnection.PeerPort, TcpTestHost.Peer)) is TcpEndpoint ep)
            {
                return ep.State;
            }
        }
        throw new InvalidOperationException("No connection.");
    }
}
