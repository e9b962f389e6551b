using System.Globalization;
using DitoChat.Infrastructure;
using DitoChat.Infrastructure.Connections;

namespace DitoChat.WebApi;

/// <summary>A configuration value that does not parse; the process stops at start with this message.</summary>
public sealed class ConfigurationException(string message) : Exception(message);

/// <summary>Every setting of the service, read from the environment (or any configuration source) and checked at start.</summary>
public sealed record ChatOptions
{
    public int Port { get; init; } = 8080;
    public int HistorySize { get; init; } = 1000;
    public int MaxMessageBytes { get; init; } = 4096;
    public int RateLimitPerSecond { get; init; } = 20;
    public int MaxConnections { get; init; }
    /// <summary>null: same-origin only; empty: any origin (<c>*</c>); otherwise exact origins.</summary>
    public IReadOnlyList<string>? AllowedOrigins { get; init; }
    public string? RedisConfiguration { get; init; }
    public string RedisKeyPrefix { get; init; } = "dito";
    public int QueueCapacity { get; init; } = 256;

    public bool AnyOrigin => AllowedOrigins is { Count: 0 };

    public StoreOptions Store => new(HistorySize, RedisConfiguration, RedisKeyPrefix);

    public static ChatOptions From(IConfiguration configuration) => new()
    {
        Port = Int(configuration, "PORT", 8080, 0, 65535),
        HistorySize = Int(configuration, "HISTORY_SIZE", 1000, 1, 100_000),
        MaxMessageBytes = Int(configuration, "MAX_MESSAGE_BYTES", 4096, 1024, 1_048_576),
        RateLimitPerSecond = Int(configuration, "RATE_LIMIT_PER_SECOND", 20, 0, 1_000_000),
        MaxConnections = Int(configuration, "MAX_CONNECTIONS", 0, 0, int.MaxValue),
        QueueCapacity = Int(configuration, "SEND_QUEUE_SIZE", 256, 2 * ConnectionRegistry.MaxBatchMessages, 1_000_000),
        AllowedOrigins = Origins(configuration["ALLOWED_ORIGIN"]),
        RedisConfiguration = NullIfBlank(configuration["REDIS_ADDR"]),
        RedisKeyPrefix = Prefix(configuration["REDIS_KEY_PREFIX"]),
    };

    private static int Int(IConfiguration configuration, string name, int fallback, int min, int max)
    {
        var raw = configuration[name];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }
        if (!int.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ConfigurationException($"{name}: must be a whole number from {min} to {max}, got '{raw}'");
        }
        return value;
    }

    private static List<string>? Origins(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }
        if (raw.Trim() == "*")
        {
            return [];
        }
        var origins = raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var origin in origins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                || !string.Equals(uri.GetLeftPart(UriPartial.Authority), origin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
            {
                throw new ConfigurationException(
                    $"ALLOWED_ORIGIN: '{origin}' is not an origin like https://chat.example.com (comma-separated, or *)");
            }
        }
        return [.. origins.Select(o => o.TrimEnd('/').ToLowerInvariant())];
    }

    private static string Prefix(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return "dito";
        }
        if (raw.IndexOfAny(['{', '}', ' ']) >= 0)
        {
            throw new ConfigurationException($"REDIS_KEY_PREFIX: must not contain braces or spaces, got '{raw}'");
        }
        return raw;
    }

    private static string? NullIfBlank(string? raw) => string.IsNullOrWhiteSpace(raw) ? null : raw.Trim();
}
