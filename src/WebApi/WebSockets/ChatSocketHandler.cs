using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
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
            await RunAsync(socket, since, context.Connection.RemoteIpAddress?.ToString() ?? "?");
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    private async Task RunAsync(WebSocket socket, long? since, string peer)
    {
        var started = Stopwatch.GetTimestamp();
        using var connection = new ClientConnection(options.QueueCapacity);
        using var abort = new CancellationTokenSource();
        using var closing = connection.Closing.Register(() => abort.CancelAfter(CloseTimeout));
        // Registered before the replay is read, so nothing published meanwhile is missed; the writer drops duplicates by id.
        registry.Add(connection);
        metrics.ConnectionOpened();
        LogOpened(logger, peer, since);
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
                abort.Cancel();
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
            registry.Remove(connection);
            metrics.ConnectionClosed();
            var reason = connection.CloseRequest is { Reason.Length: > 0 } request
                ? $"{(int)request.Status} {request.Reason}"
                : socket.CloseStatus is { } status ? $"{(int)status} by client" : "aborted";
            var duration = Stopwatch.GetElapsedTime(started);
            LogClosed(logger, peer, reason, duration);
        }
    }

    private async Task<long> ReplayAsync(WebSocket socket, ClientConnection connection, long since, CancellationToken cancellationToken)
    {
        IReadOnlyList<ChatMessageDto> history;
        try
        {
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
        return history.Count > 0 ? history[^1].Id : since;
    }

    private async Task ReadLoopAsync(WebSocket socket, ClientConnection connection, CancellationToken cancellationToken)
    {
        var bucket = new TokenBucket(options.RateLimitPerSecond);
        // One byte more than allowed, so an oversized frame is seen without reading all of it.
        var buffer = new byte[options.MaxMessageBytes + 1];
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            var count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                count += result.Count;
            }
            while (!result.EndOfMessage && count < buffer.Length && result.MessageType == WebSocketMessageType.Text);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                connection.RequestClose(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, "", discardQueued: true);
                return;
            }
            if (connection.CloseRequest is not null)
            {
                continue; // Closing: wait for the peer's close frame, ignore the rest.
            }
            if (result.MessageType == WebSocketMessageType.Binary)
            {
                Reject(connection, "binary");
                connection.RequestClose(WebSocketCloseStatus.InvalidMessageType, "binary frames are not supported");
            }
            else if (count > options.MaxMessageBytes)
            {
                Reject(connection, "too_big");
                connection.RequestClose(WebSocketCloseStatus.MessageTooBig, $"frames are limited to {options.MaxMessageBytes} bytes");
            }
            else if (!bucket.TryTake())
            {
                Reply(connection, Reject(connection, "rate_limited"),
                    $"more than {options.RateLimitPerSecond} messages per second; this one was dropped");
            }
            else
            {
                await SendAsync(connection, buffer.AsMemory(0, count));
            }
        }
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
            Reply(connection, Reject(connection, "invalid_message"), IncomingMessage.Describe(e));
        }
        catch (StoreUnavailableException e)
        {
            Reply(connection, Reject(connection, "unavailable"), e.Message);
        }
    }

    private async Task WriteLoopAsync(WebSocket socket, ClientConnection connection, long lastSentId)
    {
        var reader = connection.Outgoing;
        var batch = new ArrayBufferWriter<byte>();
        try
        {
            while (await reader.WaitToReadAsync())
            {
                if (connection.CloseRequest is { DiscardQueued: true })
                {
                    break;
                }
                batch.ResetWrittenCount();
                var delivered = 0;
                while (batch.WrittenCount < MaxFrameBytes && reader.TryRead(out var frame))
                {
                    if (frame.Id != 0)
                    {
                        if (frame.Id <= lastSentId)
                        {
                            continue;
                        }
                        lastSentId = frame.Id;
                        delivered++;
                    }
                    if (batch.WrittenCount > 0)
                    {
                        batch.Write("\n"u8);
                    }
                    batch.Write(frame.Json.Span);
                }
                if (batch.WrittenCount > 0)
                {
                    await socket.SendAsync(batch.WrittenMemory, WebSocketMessageType.Text, true, CancellationToken.None);
                    metrics.CountDelivered(delivered);
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

    private string Reject(ClientConnection connection, string reason)
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
        if (!connection.TryEnqueue(new OutgoingFrame(0, json.WrittenMemory))
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
