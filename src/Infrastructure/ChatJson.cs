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

    /// <summary>The id of an encoded message, which always starts <c>{"id":N,</c>; false for anything else.</summary>
    public static bool TryReadId(ReadOnlySpan<byte> utf8Json, out long id)
    {
        id = 0;
        if (!utf8Json.StartsWith("{\"id\":"u8))
        {
            return false;
        }
        var digits = utf8Json["{\"id\":"u8.Length..];
        var end = digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        return end > 0 && System.Buffers.Text.Utf8Parser.TryParse(digits[..end], out id, out _) && id > 0;
    }
}

[JsonSerializable(typeof(ChatMessageDto))]
[JsonSerializable(typeof(ChatMessageDto[]))]
[JsonSerializable(typeof(IReadOnlyList<ChatMessageDto>))]
public sealed partial class ChatJsonContext : JsonSerializerContext;
