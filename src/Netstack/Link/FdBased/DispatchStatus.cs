namespace Netstack.Link.FdBased;

/// <summary>What one dispatch step found.</summary>
internal enum DispatchStatus
{
    /// <summary>Read something (delivered or dropped); try again.</summary>
    Progress,
    /// <summary>Nothing to read now: wait in ppoll.</summary>
    WouldBlock,
    /// <summary>The fd reached end of file or failed: the reader ends (see the error).</summary>
    Closed,
}
