using System.Globalization;
using DitoChat.Domain;
using Mapster;

namespace DitoChat.Application.Messages;

/// <summary>A message as clients see it, on the socket and in <c>GET /messages</c>.</summary>
/// <param name="Date">UTC, ISO-8601 with exactly three fractional digits and <c>Z</c>.</param>
public sealed record ChatMessageDto(long Id, string Text, string Uid, string Title, string Date)
{
    public const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Mapster's domain-to-DTO rules; applied once by <c>AddApplicationServices</c>.</summary>
    public static void ConfigureMapping(TypeAdapterConfig config)
    {
        config.NewConfig<ChatMessage, ChatMessageDto>()
            .MapWith(m => new ChatMessageDto(
                m.Id, m.Text, m.Uid, m.Title,
                m.Date.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture)));
    }
}
