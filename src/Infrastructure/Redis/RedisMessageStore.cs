using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DitoChat.Application.Abstractions;
using DitoChat.Domain;
using StackExchange.Redis;

namespace DitoChat.Infrastructure.Redis;

/// <summary>
/// The shared store: one Lua script gives the id, stores, trims to the history size and publishes, atomically,
/// so every replica sees the same window and the same order. Delivery to sockets comes back through <see cref="RedisSubscriber"/>.
/// </summary>
public sealed class RedisMessageStore(IConnectionMultiplexer redis, RedisKeys keys, StoreOptions options) : IMessageStore
{
    // KEYS: last-id, messages. ARGV: the message JSON after its id, the history size, the channel.
    private const string AppendScript = """
        local id = redis.call('INCR', KEYS[1])
        local json = '{"id":' .. string.format('%d', id) .. ',' .. ARGV[1]
        redis.call('ZADD', KEYS[2], id, json)
        local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[2])
        if excess > 0 then
          redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
        end
        redis.call('PUBLISH', ARGV[3], json)
        return id
        """;

#pragma warning disable CA5350 // Redis names scripts by their SHA-1; this is an id, not security.
    private static readonly byte[] AppendScriptSha = SHA1.HashData(Encoding.UTF8.GetBytes(AppendScript));
#pragma warning restore CA5350
    private static readonly byte[] IdPrefix = """{"id":0,"""u8.ToArray();

    private readonly RedisKey[] _appendKeys = [keys.LastId, keys.Messages];
    private readonly RedisValue _historySize = options.HistorySize;
    private readonly RedisValue _channel = keys.Channel.ToString();

    private IDatabase Database => redis.GetDatabase();

    public async ValueTask<ChatMessage> AppendAsync(ChatMessage draft, CancellationToken cancellationToken)
    {
        // The JSON is encoded once, here; the script only prepends the id it assigns.
        var encoded = ChatJson.Encode(draft);
        RedisValue[] args = [(ReadOnlyMemory<byte>)encoded.AsMemory(IdPrefix.Length), _historySize, _channel];
        var id = (long)await Run(async db =>
        {
            try
            {
                return await db.ScriptEvaluateAsync(AppendScriptSha, _appendKeys, args);
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                // First use, or Redis restarted and lost its script cache: EVAL loads it again.
                return await db.ScriptEvaluateAsync(AppendScript, _appendKeys, args);
            }
        });
        return draft.WithId(id);
    }

    public async ValueTask<IReadOnlyList<ChatMessage>> GetLatestAsync(int limit, long? beforeId, CancellationToken cancellationToken)
    {
        var entries = await Run(db => db.SortedSetRangeByScoreAsync(keys.Messages,
            double.NegativeInfinity, beforeId ?? double.PositiveInfinity, Exclude.Stop, Order.Descending, 0, limit));
        return Decode(entries);
    }

    public async ValueTask<IReadOnlyList<ChatMessage>> GetSinceAsync(long sinceId, CancellationToken cancellationToken)
    {
        var entries = await Run(db => db.SortedSetRangeByScoreAsync(keys.Messages, sinceId, double.PositiveInfinity, Exclude.Start));
        if (entries.Length == 0 && sinceId > 0)
        {
            var newest = await Run(db => db.SortedSetRangeByRankWithScoresAsync(keys.Messages, -1, -1));
            if (newest.Length == 1 && newest[0].Score < sinceId)
            {
                // The client knows ids this store never gave out: it was reset. Replay the whole window.
                entries = await Run(db => db.SortedSetRangeByRankAsync(keys.Messages));
            }
        }
        return Decode(entries);
    }

    /// <summary>Redis errors become <see cref="StoreUnavailableException"/>: nothing was stored, the client may retry.</summary>
    private async Task<T> Run<T>(Func<IDatabase, Task<T>> command)
    {
        try
        {
            return await command(Database);
        }
        catch (RedisTimeoutException e)
        {
            throw new StoreUnavailableException(
                "The message store (Redis) did not answer in time; the message may or may not have been stored.", e);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisServerException)
        {
            throw new StoreUnavailableException("The message store (Redis) is unreachable; nothing was stored. Try again.", e);
        }
    }

    private static ChatMessage[] Decode(RedisValue[] entries) =>
        Array.ConvertAll(entries, entry => Decode((ReadOnlyMemory<byte>)entry));

    private static ChatMessage Decode(ReadOnlyMemory<byte> json)
    {
        var dto = ChatJson.Decode(json.Span) ?? throw new FormatException("A stored message is not a JSON object.");
        var date = DateTimeOffset.ParseExact(dto.Date, Application.Messages.ChatMessageDto.DateFormat,
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return new ChatMessage(dto.Id, dto.Text, dto.Uid, dto.Title, date);
    }
}
