using DitoChat.Application.Abstractions;
using DitoChat.Infrastructure.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace DitoChat.Infrastructure.Redis;

/// <summary>
/// Feeds this replica's sockets from the channel the append script publishes to, one message at a time, in id order.
/// A gap (the subscription dropped while Redis was away) is filled from the store, so a healthy socket never misses one.
/// </summary>
public sealed partial class RedisSubscriber(
    IConnectionMultiplexer redis,
    RedisKeys keys,
    IMessageStore store,
    ConnectionRegistry registry,
    ILogger<RedisSubscriber> logger) : IHostedService, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ChannelMessageQueue? _queue;
    private long _lastDelivered;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _lastDelivered = await NewestIdAsync() ?? 0;
        _queue = await redis.GetSubscriber().SubscribeAsync(keys.Channel);
        _queue.OnMessage(OnPublishedAsync);
        redis.ConnectionRestored += OnConnectionRestored;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        if (_queue is not null)
        {
            await _queue.UnsubscribeAsync();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task OnPublishedAsync(ChannelMessage published)
    {
        // The script published the wire JSON itself: read its id, pass the bytes on as they are.
        var json = (byte[])published.Message!;
        if (!ChatJson.TryReadId(json, out var id))
        {
            LogForeignMessage(logger, "it does not start with {\"id\":N,");
            return;
        }
        await DeliverAsync(id, json);
    }

    private async Task DeliverAsync(long id, byte[] json)
    {
        await _gate.WaitAsync();
        try
        {
            await DeliverInOrderAsync(id, json);
        }
        catch (Exception e) when (e is StoreUnavailableException or RedisException or System.Text.Json.JsonException or FormatException)
        {
            // The gap could not be filled: deliver nothing out of order. The next message (or reconnect) retries
            // the catch-up from the last delivered id, so nothing is skipped, only delayed.
            LogDeliveryDelayed(logger, id, e.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task DeliverInOrderAsync(long id, byte[] json)
    {
        if (id > _lastDelivered + 1 && _lastDelivered > 0)
        {
            await CatchUpAsync();
        }
        if (id > _lastDelivered)
        {
            registry.Broadcast(id, json);
            _lastDelivered = id;
        }
        else if (id == 1)
        {
            _lastDelivered = 1;
            StoreWasReset();
            registry.Broadcast(id, json);
        }
        // Otherwise already delivered by a catch-up.
    }

    /// <summary>Delivers what the channel did not: every stored message after the last one delivered.</summary>
    private async Task CatchUpAsync()
    {
        var newest = await NewestIdAsync();
        if (newest < _lastDelivered)
        {
            _lastDelivered = 0;
            StoreWasReset();
        }
        foreach (var missed in await store.GetSinceAsync(_lastDelivered, CancellationToken.None))
        {
            if (missed.Id > _lastDelivered)
            {
                registry.Broadcast(missed);
                _lastDelivered = missed.Id;
            }
        }
        LogCaughtUp(logger, _lastDelivered);
    }

    private void StoreWasReset()
    {
        // Ids start again at 1; clients that saw higher ones must reconnect with ?since= to get the new window.
        LogReset(logger, _lastDelivered);
        registry.CloseAll((System.Net.WebSockets.WebSocketCloseStatus)1012, "message store was reset; reconnect");
    }

    private async void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription)
        {
            return;
        }
        await _gate.WaitAsync();
        try
        {
            await CatchUpAsync();
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // async void: nothing may escape. Redis went away again (or answered oddly); the next restore or the
            // next published message retries.
            LogDeliveryDelayed(logger, _lastDelivered + 1, error.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<long?> NewestIdAsync()
    {
        try
        {
            var newest = await redis.GetDatabase().SortedSetRangeByRankWithScoresAsync(keys.Messages, -1, -1);
            return newest.Length == 1 ? (long)newest[0].Score : 0;
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or RedisServerException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis message store was reset (last delivered id {LastId}); closing sockets so clients reload")]
    private static partial void LogReset(ILogger logger, long lastId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery from message {MessageId} on waits for the store: {Problem}")]
    private static partial void LogDeliveryDelayed(ILogger logger, long messageId, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a message on the channel that is not a chat message: {Problem}")]
    private static partial void LogForeignMessage(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Caught up from the store after a gap; last delivered id {LastId}")]
    private static partial void LogCaughtUp(ILogger logger, long lastId);
}
