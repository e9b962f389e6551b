using DitoChat.Application.Abstractions;
using DitoChat.Domain;

namespace DitoChat.Infrastructure.Memory;

/// <summary>The default, single-process store: a ring of the last <c>HistorySize</c> messages, lost on restart.</summary>
public sealed class MemoryMessageStore(IBroadcaster broadcaster, StoreOptions options) : IMessageStore
{
    private readonly Lock _gate = new();
    private readonly ChatMessage[] _ring = new ChatMessage[options.HistorySize];
    private long _newestId;

    private long OldestId => Math.Max(1, _newestId - _ring.Length + 1);

    public ValueTask<ChatMessage> AppendAsync(ChatMessage draft, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var message = draft.WithId(_newestId + 1);
            _ring[message.Id % _ring.Length] = message;
            _newestId = message.Id;
            // Inside the lock, so every client sees id order.
            broadcaster.Broadcast(message);
            return ValueTask.FromResult(message);
        }
    }

    public ValueTask<IReadOnlyList<ChatMessage>> GetLatestAsync(int limit, long? beforeId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var from = Math.Min(_newestId, (beforeId ?? long.MaxValue) - 1);
            var result = new List<ChatMessage>();
            for (var id = from; id >= OldestId && result.Count < limit; id--)
            {
                result.Add(_ring[id % _ring.Length]);
            }
            return ValueTask.FromResult<IReadOnlyList<ChatMessage>>(result);
        }
    }

    public ValueTask<IReadOnlyList<ChatMessage>> GetSinceAsync(long sinceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var from = sinceId > _newestId ? OldestId : Math.Max(OldestId, sinceId + 1);
            var result = new List<ChatMessage>((int)Math.Max(0, _newestId - from + 1));
            for (var id = from; id <= _newestId; id++)
            {
                result.Add(_ring[id % _ring.Length]);
            }
            return ValueTask.FromResult<IReadOnlyList<ChatMessage>>(result);
        }
    }
}
