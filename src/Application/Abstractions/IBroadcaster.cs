using DitoChat.Domain;

namespace DitoChat.Application.Abstractions;

/// <summary>
/// Delivers accepted messages to the clients connected to this process, in id order. The store calls it:
/// directly in memory mode, from the Redis subscription on every replica in Redis mode.
/// </summary>
public interface IBroadcaster
{
    /// <summary>Queues the message to every connected client; never waits on any one of them.</summary>
    void Broadcast(ChatMessage message);
}
