using DitoChat.Domain;

namespace DitoChat.Application.Abstractions;

/// <summary>The retained window of accepted messages, shared by every replica.</summary>
/// <remarks>Implementations throw <see cref="StoreUnavailableException"/> when the backing store cannot be reached.</remarks>
public interface IMessageStore
{
    /// <summary>
    /// Gives <paramref name="draft"/> the next id, keeps it in the window (dropping the oldest beyond the
    /// history size) and hands it to the <see cref="IBroadcaster"/> of every replica, as one atomic step.
    /// </summary>
    ValueTask<ChatMessage> AppendAsync(ChatMessage draft, CancellationToken cancellationToken);

    /// <summary>Newest first: at most <paramref name="limit"/> messages, only ids below <paramref name="beforeId"/> when given.</summary>
    ValueTask<IReadOnlyList<ChatMessage>> GetLatestAsync(int limit, long? beforeId, CancellationToken cancellationToken);

    /// <summary>
    /// Oldest first: every retained message with an id above <paramref name="sinceId"/>; the whole window when
    /// <paramref name="sinceId"/> is above the newest id (the store was reset).
    /// </summary>
    ValueTask<IReadOnlyList<ChatMessage>> GetSinceAsync(long sinceId, CancellationToken cancellationToken);
}
