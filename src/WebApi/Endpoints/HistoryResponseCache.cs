namespace DitoChat.WebApi.Endpoints;

/// <summary>
/// The encoded body of <c>GET /messages</c> (the whole window), kept while the newest stored id stays the same:
/// asking the store for one message is cheap, decoding and encoding the whole window is not.
/// </summary>
public sealed class HistoryResponseCache
{
    private Entry? _current;

    /// <summary>The body for the window whose newest id is <paramref name="newestId"/>; concurrent callers share one build.</summary>
    public Task<byte[]> GetAsync(long newestId, Func<Task<byte[]>> build)
    {
        var current = Volatile.Read(ref _current);
        if (current is not null && current.NewestId == newestId && !current.Body.IsFaulted && !current.Body.IsCanceled)
        {
            return current.Body;
        }
        var entry = new Entry(newestId, build());
        Volatile.Write(ref _current, entry);
        return entry.Body;
    }

    private sealed record Entry(long NewestId, Task<byte[]> Body);
}
