using Netstack.Stack;

namespace Netstack.Transport.Tcp;

/// <summary>
/// SYN cookies (RFC 4987 section 3.6): when a listener cannot keep state for a SYN, its SYN-ACK's sequence
/// number carries what the connection needs, and the peer's ACK brings it back.
/// <para>Layout of the cookie (our own): the top 5 bits are a time counter (64 s per step, a cookie is valid
/// for two steps); the low 27 bits are a keyed hash of the four-tuple, the peer's ISN and the counter, plus
/// an index into a table of common MSS values. When the peer offered timestamps, the low 6 bits of our TSval
/// carry the window scale and SACK-permitted, as Linux does; without timestamps those options are off.</para>
/// </summary>
internal static class SynCookies
{
    /// <summary>The MSS values a cookie can express (IPv4); the peer's MSS is rounded down to one of them.</summary>
    private static readonly ushort[] MssTableV4 = [536, 1300, 1440, 1460];

    /// <summary>The MSS values a cookie can express (IPv6).</summary>
    private static readonly ushort[] MssTableV6 = [1220, 1340, 1420, 1440];

    private const int CounterShift = 27;
    private const uint HashMask = (1u << CounterShift) - 1;
    private const int CounterPeriodMs = 64_000;
    private const uint MaxAge = 2;
    private const int TimestampBits = 6;
    private const uint TimestampMask = (1u << TimestampBits) - 1;
    private const uint NoWindowScale = 0xF;

    /// <summary>The cookie time counter at <paramref name="nowMs"/>.</summary>
    public static uint Counter(long nowMs) => (uint)(nowMs / CounterPeriodMs);

    /// <summary>Makes the ISN for a SYN-ACK; <paramref name="mss"/> is rounded down to the table.</summary>
    public static uint Make(TcpSecrets secrets, in TransportEndpointId id, uint peerIsn, long nowMs, int mss, out int encodedMss)
    {
        var table = id.LocalAddress.IsV6 ? MssTableV6 : MssTableV4;
        int index = 0;
        for (int i = table.Length - 1; i >= 0; i--)
        {
            if (table[i] <= mss)
            {
                index = i;
                break;
            }
        }
        encodedMss = table[index];
        uint counter = Counter(nowMs);
        uint low = (secrets.CookieHash(id, peerIsn, counter) + (uint)index) & HashMask;
        return ((counter & 0x1F) << CounterShift) | low;
    }

    /// <summary>Checks the cookie in an ACK (its acknowledgment number minus one); gives the MSS it encoded.</summary>
    public static bool Check(TcpSecrets secrets, in TransportEndpointId id, uint peerIsn, uint cookie, long nowMs, out int mss)
    {
        mss = 0;
        uint now = Counter(nowMs);
        uint stamp = cookie >> CounterShift;
        uint age = (now - stamp) & 0x1F;
        if (age > MaxAge)
        {
            return false;
        }
        uint counter = now - age;
        uint index = ((cookie & HashMask) - secrets.CookieHash(id, peerIsn, counter)) & HashMask;
        var table = id.LocalAddress.IsV6 ? MssTableV6 : MssTableV4;
        if (index >= table.Length)
        {
            return false;
        }
        mss = table[(int)index];
        return true;
    }

    /// <summary>
    /// Our TSval for a cookie SYN-ACK: the clock with its low bits replaced by the options, never ahead of
    /// the clock (so the connection's later TSvals do not go backwards).
    /// </summary>
    public static uint EncodeTimestamp(uint now, int windowScale, bool sackPermitted)
    {
        uint options = (windowScale < 0 ? NoWindowScale : (uint)windowScale) | (sackPermitted ? 1u << 4 : 0);
        uint ts = (now & ~TimestampMask) | options;
        if (unchecked((int)(ts - now)) > 0)
        {
            ts -= TimestampMask + 1;
        }
        return ts;
    }

    /// <summary>Reads the options back from the TSecr of the ACK.</summary>
    public static void DecodeTimestamp(uint echoed, out int windowScale, out bool sackPermitted)
    {
        uint ws = echoed & 0xF;
        windowScale = ws == NoWindowScale ? -1 : (int)Math.Min(ws, 14);
        sackPermitted = (echoed & (1u << 4)) != 0;
    }
}
