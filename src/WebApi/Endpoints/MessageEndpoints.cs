using System.Globalization;
using System.Text.Json;
using DitoChat.Application.Messages;
using DitoChat.Infrastructure;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;

namespace DitoChat.WebApi.Endpoints;

/// <summary><c>GET /messages</c> (history, newest first) and <c>POST /messages</c> (send without a socket).</summary>
public static class MessageEndpoints
{
    public const string CorsPolicy = "messages";
    public const string RateLimitPolicy = "post-messages";

    public static RouteGroupBuilder MapMessageApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/messages").RequireCors(CorsPolicy).WithTags("Messages");
        group.MapGet("", GetMessages)
            .WithSummary("Stored messages, newest first")
            .WithDescription("At most HISTORY_SIZE messages. `limit` (1..1000) caps the count; `before` returns only ids below it, for paging.")
            .Produces<ChatMessageDto[]>(StatusCodes.Status200OK, "application/json")
            .ProducesValidationProblem();
        group.MapPost("", PostMessage)
            .WithSummary("Send a message without a socket")
            .WithDescription("The body is a Message object. The stored message is broadcast to every socket and returned.")
            .Accepts<SendMessage>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireRateLimiting(RateLimitPolicy);
        return group;
    }

    public static async Task<FileContentHttpResult> GetMessages(
        HttpRequest request, IMediator mediator, HistoryResponseCache cache, CancellationToken cancellationToken)
    {
        var limit = ParseQuery(request.Query["limit"], "limit", $"must be an integer from 1 to {GetHistory.MaxLimit}");
        var before = ParseQuery(request.Query["before"], "before", "must be a positive integer");
        var query = new GetHistory(limit is null ? null : (int)Math.Min(limit.Value, int.MaxValue), before);
        // The whole window is what every page load asks for: encode it once per new message, not once per request.
        if (query != new GetHistory())
        {
            return TypedResults.Bytes(await EncodeAsync(mediator, query, cancellationToken), "application/json; charset=utf-8");
        }
        var newest = await mediator.Send(new GetHistory(Limit: 1), cancellationToken) is [var message] ? (message.Id, message.Date) : (0, "");
        // Built after the newest was read, the body is at least that new; a newer one is rebuilt on the next request.
        var body = await cache.GetAsync(newest, () => EncodeAsync(mediator, query, CancellationToken.None));
        return TypedResults.Bytes(body, "application/json; charset=utf-8");
    }

    private static async Task<byte[]> EncodeAsync(IMediator mediator, GetHistory query, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeToUtf8Bytes(await mediator.Send(query, cancellationToken), ChatJson.Context.IReadOnlyListChatMessageDto);

    public static async Task<Results<Created<ChatMessageDto>, ProblemHttpResult>> PostMessage(
        HttpRequest request, IMediator mediator, ChatOptions options)
    {
        if (!request.HasJsonContentType())
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                detail: "Send the message as Content-Type: application/json.");
        }
        var body = new byte[options.MaxMessageBytes + 1];
        var length = await request.Body.ReadAtLeastAsync(body, body.Length, throwOnEndOfStream: false);
        if (length > options.MaxMessageBytes)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge,
                detail: $"A message is limited to {options.MaxMessageBytes} bytes.");
        }
        // Stored even if the client hangs up meanwhile, as on the socket.
        var stored = await mediator.Send(IncomingMessage.Parse(body.AsSpan(0, length)), CancellationToken.None);
        return TypedResults.Created((string?)null, stored);
    }

    private static long? ParseQuery(StringValues values, string name, string rule)
    {
        if (values.Count == 0)
        {
            return null;
        }
        if (values.Count > 1 || !long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw IncomingMessage.Invalid(name, rule);
        }
        return value;
    }
}
