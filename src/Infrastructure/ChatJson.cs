using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using DitoChat.Application.Messages;
using DitoChat.Domain;
using Mapster;

namespace DitoChat.Infrastructure;

/// <summary>The wire JSON of a message, from one source-generated context.</summary>
public static class ChatJson
{
    /// <summary>Camel-case names; only what JSON requires is escaped (the output is never embedded in HTML).</summary>
    public static readonly ChatJsonContext Context = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static byte[] Encode(ChatMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(message.Adapt<ChatMessageDto>(), Context.ChatMessageDto);

    public static ChatMessageDto? Decode(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, Context.ChatMessageDto);
}

[JsonSerializable(typeof(ChatMessageDto))]
[JsonSerializable(typeof(ChatMessageDto[]))]
[JsonSerializable(typeof(IReadOnlyList<ChatMessageDto>))]
public sealed partial class ChatJsonContext : JsonSerializerContext;
