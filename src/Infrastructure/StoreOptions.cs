namespace DitoChat.Infrastructure;

/// <param name="HistorySize">Messages retained, exactly.</param>
/// <param name="RedisConfiguration">null: the in-memory store (one process); otherwise a StackExchange.Redis configuration string.</param>
/// <param name="KeyPrefix">Prefix of every Redis key and channel; all keys share one hash tag so the script runs on Redis Cluster.</param>
public sealed record StoreOptions(int HistorySize, string? RedisConfiguration = null, string KeyPrefix = "dito");
