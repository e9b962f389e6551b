using DitoChat.Application.Abstractions;
using DitoChat.Application.Messages;
using DitoChat.Domain;
using Mapster;

namespace DitoChat.UnitTests.Support;

/// <summary>A clock that always answers the same instant.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Records every broadcast message in the order the store handed it over.</summary>
public sealed class RecordingBroadcaster : IBroadcaster
{
    private readonly List<ChatMessage> _messages = [];

    public IReadOnlyList<ChatMessage> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    public void Broadcast(ChatMessage message)
    {
        lock (_messages)
        {
            _messages.Add(message);
        }
    }
}

public static class Mapping
{
    private static readonly Lazy<bool> Configured = new(() =>
    {
        ChatMessageDto.ConfigureMapping(TypeAdapterConfig.GlobalSettings);
        return true;
    });

    /// <summary>Applies the app's Mapster rules once per test run.</summary>
    public static void Ensure() => _ = Configured.Value;
}

public static class Messages
{
    public static readonly DateTimeOffset Noon = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    public static ChatMessage Stored(long id, string text = "hi") => new(id, text, "u" + id, "T", Noon.AddSeconds(id));

    public static ChatMessage Draft(string text = "hi") => ChatMessage.Draft(text, "u", "T", Noon);
}
