namespace Netstack.Link.FdBased;

/// <summary>What one dispatch step found.</summary>
internal enum DispatchStatus
{
    /// <summary>Read something (delivered or dropped); try again.</summary>
    Progress,
    /// <summary>Read something, and the fd looks drained (a short batch): wait in ppoll rather than pay a read that would block.</summary>
    ProgressDrained,
    /// <summary>Nothing to read now: wait in ppoll.</summary>
    WouldBlock,
    /// <summary>The fd reached end of file or failed: the reader ends (see the error).</summary>
    Closed,
}
