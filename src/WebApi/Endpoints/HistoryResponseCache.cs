namespace DitoChat.WebApi.Endpoints;

/// <summary>
/// The encoded body of <c>GET /messages</c> (the whole window), kept while the newest stored message stays the same:
/// asking the store for one message is cheap, decoding and encoding the whole window is not.
/// </summary>
public sealed class HistoryResponseCache
{
    private Entry? _current;

    /// <summary>The body for the window whose newest message is <paramref name="newest"/>; concurrent callers share one build.</summary>
    /// <param name="newest">Its id and date: after a store reset a new message may reuse an id, but not also its millisecond.</param>
    public Task<byte[]> GetAsync((long Id, string Date) newest, Func<Task<byte[]>> build)
    {
        var current = Volatile.Read(ref _current);
        if (current is not null && current.Newest == newest && !current.Body.IsFaulted && !current.Body.IsCanceled)
        {
            return current.Body;
        }
        var entry = new Entry(newest, build());
        Volatile.Write(ref _current, entry);
        return entry.Body;
    }

    private sealed record Entry((long Id, string Date) Newest, Task<byte[]> Body);
}
