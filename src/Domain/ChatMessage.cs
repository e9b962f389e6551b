namespace DitoChat.Domain;

/// <summary>One accepted chat message: what is stored, broadcast and returned as history.</summary>
/// <param name="Id">Positive, consecutive across every replica; 0 until the store assigns it.</param>
/// <param name="Date">The server's receive time, UTC, whole milliseconds.</param>
public sealed record ChatMessage(long Id, string Text, string Uid, string Title, DateTimeOffset Date)
{
    public const int MaxTextLength = 2000;
    public const int MaxUidLength = 64;
    public const int MaxTitleLength = 64;

    /// <summary>A message as a client sent it, before the store gives it an id.</summary>
    public static ChatMessage Draft(string text, string? uid, string? title, DateTimeOffset receivedAt) =>
        new(0, text.Trim(), uid ?? "", title ?? "", TruncateToMilliseconds(receivedAt.ToUniversalTime()));

    public ChatMessage WithId(long id) => this with { Id = id };

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset t) =>
        new(t.Ticks - t.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
}
