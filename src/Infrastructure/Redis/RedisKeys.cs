using StackExchange.Redis;

namespace DitoChat.Infrastructure.Redis;

/// <summary>
/// Every key shares the hash tag <c>{prefix}</c>, so they live in one slot and the append script runs unchanged on Redis Cluster.
/// </summary>
public sealed class RedisKeys(string prefix)
{
    /// <summary>Sorted set of message JSON, scored by id: range queries by id serve history, paging and replay alike.</summary>
    public RedisKey Messages { get; } = $"{{{prefix}}}:messages";

    /// <summary>The last id given out (INCR).</summary>
    public RedisKey LastId { get; } = $"{{{prefix}}}:last-id";

    /// <summary>Where the append script publishes each stored message to every replica.</summary>
    public RedisChannel Channel { get; } = RedisChannel.Literal($"{{{prefix}}}:published");
}
