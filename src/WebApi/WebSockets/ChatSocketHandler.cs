using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using DitoChat.Application;
using DitoChat.Application.Abstractions;
using DitoChat.Application.Messages;
using DitoChat.Infrastructure;
using DitoChat.Infrastructure.Connections;
using FluentValidation;
using Mediator;

namespace DitoChat.WebApi.WebSockets;

/// <summary>
/// <c>/ws</c>: checks the upgrade, then runs one connection's life: register, replay <c>?since=</c>,
/// a read loop (frames to commands) and a write loop (queue to frames), unregister.
/// </summary>
public sealed partial class ChatSocketHandler(
    IMediator mediator,
    ConnectionRegistry registry,
    ChatOptions options,
    ChatMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<ChatSocketHandler> logger)
{
    // The pong deadline is checked on the keep-alive timer's ticks, so a silent peer goes after
    // at most interval + timeout rounded up to a tick: 20 + 30 -> within 60 s, well inside the contract's 90.
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(30);
    /// <summary>How long a closing peer gets to answer (or to drain a full socket) before it is aborted.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(10);
    private const int MaxFrameBytes = 64 * 1024;

    private int _open;

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Problem(context, StatusCodes.Status400BadRequest, "/ws speaks WebSocket only: send an upgrade request.");
            return;
        }
        if (!OriginAllowed(context.Request))
        {
            LogRefused(logger, context.Request.Headers.Origin, "origin not allowed");
            await Problem(context, StatusCodes.Status403Forbidden, "This origin may not open a chat socket (see ALLOWED_ORIGIN).");
            return;
        }
        if (!TryParseSince(context.Request.Query["since"], out var since))
        {
            await Problem(context, StatusCodes.Status400BadRequest, "since: must be a whole number of 0 or more.");
            return;
        }
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await Problem(context, StatusCodes.Status503ServiceUnavailable, "The server is shutting down; reconnect with ?since=.");
            return;
        }
        if (Interlocked.Increment(ref _open) > options.MaxConnections && options.MaxConnections > 0)
        {
            Interlocked.Decrement(ref _open);
            metrics.CountRejected("connection_limit");
            await Problem(context, StatusCodes.Status503ServiceUnavailable, "Too many open connections; try again later.");
            return;
        }
        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = KeepAliveInterval,
                KeepAliveTimeout = KeepAliveTimeout,
            });
            await RunAsync(socket, since, context.Connection.RemoteIpAddress?.ToString() ?? "?", context.RequestAborted);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    private async Task RunAsync(WebSocket socket, long? since, string peer, CancellationToken hangUp)
    {
        var started = Stopwatch.GetTimestamp();
        using var connection = new ClientConnection(options.QueueCapacity);
        using var abort = new CancellationTokenSource();
        using var closing = connection.Closing.Register(() => abort.CancelAfter(CloseTimeout));
        // Registered before the replay is read, so nothing published meanwhile is missed; the writer drops duplicates by id.
        registry.Add(connection);
        metrics.ConnectionOpened();
        LogOpened(logger, peer, since);
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Accepted just as shutdown began, after CloseAll ran: close it the same way.
            connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
        }
        try
        {
            var lastSentId = since is null ? 0 : await ReplayAsync(socket, connection, since.Value, abort.Token);
            var writing = WriteLoopAsync(socket, connection, lastSentId);
            try
            {
                await ReadLoopAsync(socket, connection, abort.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                if (e is WebSocketException { WebSocketErrorCode: WebSocketError.Faulted })
                {
                    // The socket refused a frame itself (invalid UTF-8) and sent close 1007. Ending the request now,
                    // with the bad frame unread, would reset the TCP connection and the peer would never see the 1007.
                    Reject("invalid_utf8");
                    connection.RequestClose(WebSocketCloseStatus.InvalidPayloadData, "invalid UTF-8", discardQueued: true);
                    await WaitForHangUpAsync(hangUp);
                }
            }
            connection.RequestClose(WebSocketCloseStatus.NormalClosure, "", discardQueued: true);
            await writing;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The peer vanished or did not answer in time; the socket is aborted.
        }
        finally
        {
            connection.RequestClose(WebSocketCloseStatus.NormalClosure, "", discardQueued: true);
            registry.Remove(connection);
            metrics.ConnectionClosed();
            var reason = connection.CloseRequest is { Reason.Length: > 0 } request
                ? $"{(int)request.Status} {request.Reason}"
                : socket.CloseStatus is { } status ? $"{(int)status} by client" : "aborted";
            var duration = Stopwatch.GetElapsedTime(started);
            LogClosed(logger, peer, reason, duration);
        }
    }

    private static async Task WaitForHangUpAsync(CancellationToken hangUp)
    {
        try
        {
            await Task.Delay(CloseTimeout, hangUp);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<long> ReplayAsync(WebSocket socket, ClientConnection connection, long since, CancellationToken cancellationToken)
    {
        IReadOnlyList<ChatMessageDto> history;
        long newestBefore;
        try
        {
            // Read before the replay: anything stored later has a higher id and arrives live.
            newestBefore = (await mediator.Send(new GetHistory(Limit: 1), cancellationToken)) is [var newest] ? newest.Id : 0;
            history = await mediator.Send(new GetHistorySince(since), cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            connection.RequestClose(ClientConnection.TryAgainLater, "history unavailable", discardQueued: true);
            return long.MaxValue;
        }
        var batch = new ArrayBufferWriter<byte>(MaxFrameBytes);
        foreach (var message in history)
        {
            if (batch.WrittenCount > 0)
            {
                batch.Write("\n"u8);
            }
            JsonSerializer.Serialize(new Utf8JsonWriter(batch), message, ChatJson.Context.ChatMessageDto);
            if (batch.WrittenCount >= MaxFrameBytes)
            {
                await socket.SendAsync(batch.WrittenMemory, WebSocketMessageType.Text, true, cancellationToken);
                batch.ResetWrittenCount();
            }
        }
        if (batch.WrittenCount > 0)
        {
            await socket.SendAsync(batch.WrittenMemory, WebSocketMessageType.Text, true, cancellationToken);
        }
        metrics.CountDelivered(history.Count);
        // Nothing to replay: up to date, or a since above an emptied store, whose first ids must still go out live.
        return history.Count > 0 ? history[^1].Id : Math.Min(since, newestBefore);
    }

    private async Task ReadLoopAsync(WebSocket socket, ClientConnection connection, CancellationToken cancellationToken)
    {
        var bucket = new TokenBucket(options.RateLimitPerSecond);
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            // Wait with no buffer, so an idle connection holds none; rent one once a frame arrives.
            var result = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
            // One byte more than allowed, so an oversized frame is seen without reading all of it.
            var buffer = ArrayPool<byte>.Shared.Rent(options.MaxMessageBytes + 1);
            try
            {
                var count = 0;
                // Reads text and binary alike; each call consumes payload, so a frame being refused is drained
                // over the next passes instead of the zero-byte receive returning at once forever.
                while (!result.EndOfMessage && count <= options.MaxMessageBytes && result.MessageType != WebSocketMessageType.Close)
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count, options.MaxMessageBytes + 1 - count), cancellationToken);
                    count += result.Count;
                }
                if (!await HandleFrameAsync(socket, connection, bucket, result.MessageType, buffer.AsMemory(0, count)))
                {
                    return;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Acts on one received frame; false once the peer's close frame arrived.</summary>
    private async Task<bool> HandleFrameAsync(
        WebSocket socket, ClientConnection connection, TokenBucket bucket, WebSocketMessageType type, ReadOnlyMemory<byte> frame)
    {
        if (type == WebSocketMessageType.Close)
        {
            connection.RequestClose(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, "", discardQueued: true);
            return false;
        }
        if (connection.CloseRequest is not null)
        {
            return true; // Closing: wait for the peer's close frame, ignore the rest.
        }
        if (type == WebSocketMessageType.Binary)
        {
            Reject("binary");
            connection.RequestClose(WebSocketCloseStatus.InvalidMessageType, "binary frames are not supported");
        }
        else if (frame.Length > options.MaxMessageBytes)
        {
            Reject("too_big");
            connection.RequestClose(WebSocketCloseStatus.MessageTooBig, $"frames are limited to {options.MaxMessageBytes} bytes");
        }
        else if (!bucket.TryTake())
        {
            Reply(connection, Reject("rate_limited"),
                $"more than {options.RateLimitPerSecond} messages per second; this one was dropped");
        }
        else
        {
            await SendAsync(connection, frame);
        }
        return true;
    }

    private async Task SendAsync(ClientConnection connection, ReadOnlyMemory<byte> frame)
    {
        try
        {
            // Not cancelled with the socket: once read, a message is stored even if its sender vanishes.
            await mediator.Send(IncomingMessage.Parse(frame.Span), CancellationToken.None);
        }
        catch (ValidationException e)
        {
            Reply(connection, Reject("invalid_message"), IncomingMessage.Describe(e));
        }
        catch (StoreUnavailableException e)
        {
            Reply(connection, Reject("unavailable"), e.Message);
        }
    }

    private async Task WriteLoopAsync(WebSocket socket, ClientConnection connection, long lastSentId)
    {
        try
        {
            while (await connection.WaitToReadAsync())
            {
                if (connection.CloseRequest is { DiscardQueued: true })
                {
                    break;
                }
                if (!connection.TryDequeue(out var frame))
                {
                    continue;
                }
                var json = Unsent(frame, ref lastSentId, out var delivered);
                if (!connection.TryPeek(out _))
                {
                    // The common case: one frame queued, sent as is; broadcast bytes are shared, never copied.
                    if (json.Length > 0)
                    {
                        await socket.SendAsync(json, WebSocketMessageType.Text, true, CancellationToken.None);
                        metrics.CountDelivered(delivered);
                    }
                    continue;
                }
                // Several queued (this client fell behind): join them into frames of up to MaxFrameBytes.
                var batch = ArrayPool<byte>.Shared.Rent(Math.Max(MaxFrameBytes, json.Length));
                try
                {
                    json.CopyTo(batch);
                    var length = json.Length;
                    while (connection.TryPeek(out frame))
                    {
                        var next = frame.Json.Length + (length > 0 ? 1 : 0);
                        if (length > 0 && length + next > batch.Length)
                        {
                            break;
                        }
                        connection.TryDequeue(out _);
                        var unsent = Unsent(frame, ref lastSentId, out var count);
                        if (unsent.Length == 0)
                        {
                            continue;
                        }
                        if (length > 0)
                        {
                            batch[length++] = (byte)'\n';
                        }
                        unsent.Span.CopyTo(batch.AsSpan(length));
                        length += unsent.Length;
                        delivered += count;
                    }
                    if (length > 0)
                    {
                        await socket.SendAsync(batch.AsMemory(0, length), WebSocketMessageType.Text, true, CancellationToken.None);
                        metrics.CountDelivered(delivered);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(batch);
                }
            }
            if (connection.CloseRequest is { } close && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The socket was aborted; the read loop ends too.
        }
    }

    /// <summary>
    /// The part of <paramref name="frame"/> this client has not had yet: a replay and the live stream may overlap,
    /// so messages with ids up to <paramref name="lastSentId"/> are dropped. Counts the messages left.
    /// </summary>
    private static ReadOnlyMemory<byte> Unsent(OutgoingFrame frame, ref long lastSentId, out int messages)
    {
        messages = frame.IsBroadcast ? frame.Count : 0;
        if (!frame.IsBroadcast || frame.FirstId > lastSentId)
        {
            lastSentId = Math.Max(lastSentId, frame.LastId);
            return frame.Json;
        }
        if (frame.LastId <= lastSentId)
        {
            messages = 0;
            return ReadOnlyMemory<byte>.Empty;
        }
        // Partly sent: the frame's objects are in id order, each starting {"id":N, and none holds a raw newline.
        var json = frame.Json;
        messages = 0;
        while (json.Length > 0)
        {
            var end = json.Span.IndexOf((byte)'\n');
            var piece = end < 0 ? json : json[..end];
            if (ChatJson.TryReadId(piece.Span, out var id) && id > lastSentId)
            {
                messages = frame.Count - frame.Json[..^json.Length].Span.Count((byte)'\n');
                lastSentId = frame.LastId;
                return json;
            }
            json = end < 0 ? ReadOnlyMemory<byte>.Empty : json[(end + 1)..];
        }
        return json;
    }


    private string Reject(string reason)
    {
        metrics.CountRejected(reason);
        LogRejected(logger, reason);
        return reason;
    }

    /// <summary>An error object for this client only; it goes through the same queue, so the one writer sends it.</summary>
    private void Reply(ClientConnection connection, string error, string detail)
    {
        var json = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = ChatJson.Context.Options.Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString("error"u8, error);
            writer.WriteString("detail"u8, detail);
            writer.WriteEndObject();
        }
        if (!connection.TryEnqueue(OutgoingFrame.Reply(json.WrittenMemory))
            && connection.RequestClose(ClientConnection.TryAgainLater, "slow consumer", discardQueued: true))
        {
            metrics.CountSlowConsumer();
        }
    }

    private bool OriginAllowed(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || options.AnyOrigin)
        {
            return true; // Non-browser clients send no Origin.
        }
        if (options.AllowedOrigins is { } allowed)
        {
            return allowed.Contains(origin, StringComparer.OrdinalIgnoreCase);
        }
        var host = request.Host.Value;
        return string.Equals(origin, "http://" + host, StringComparison.OrdinalIgnoreCase)
            || string.Equals(origin, "https://" + host, StringComparison.OrdinalIgnoreCase);
    }

    private static bool TryParseSince(Microsoft.Extensions.Primitives.StringValues values, out long? since)
    {
        since = null;
        if (values.Count == 0)
        {
            return true;
        }
        if (values.Count == 1 && long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            since = parsed;
            return true;
        }
        return false;
    }

    private static Task Problem(HttpContext context, int status, string detail) =>
        Results.Problem(detail: detail, statusCode: status).ExecuteAsync(context);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket opened from {Peer}, since {Since}")]
    private static partial void LogOpened(ILogger logger, string peer, long? since);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket from {Peer} closed: {Reason} after {Duration}")]
    private static partial void LogClosed(ILogger logger, string peer, string reason, TimeSpan duration);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket refused: {Reason} (origin {Origin})")]
    private static partial void LogRefused(ILogger logger, Microsoft.Extensions.Primitives.StringValues origin, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Input rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason);
}
