using System.Net.WebSockets;
using DitoChat.Application;
using DitoChat.Application.Abstractions;
using DitoChat.Domain;
using Microsoft.Extensions.Logging;

namespace DitoChat.Infrastructure.Connections;

/// <summary>The clients connected to this process, and the local fan-out of every accepted message to them.</summary>
public sealed partial class ConnectionRegistry(ChatMetrics metrics, ILogger<ConnectionRegistry> logger) : IBroadcaster
{
    private readonly Lock _gate = new();
    // Copy-on-write: a broadcast iterates a snapshot without taking the lock.
    private ClientConnection[] _connections = [];

    public int Count => Volatile.Read(ref _connections).Length;

    public void Add(ClientConnection connection)
    {
        lock (_gate)
        {
            _connections = [.. _connections, connection];
        }
    }

    public void Remove(ClientConnection connection)
    {
        lock (_gate)
        {
            _connections = Array.FindAll(_connections, c => !ReferenceEquals(c, connection));
        }
    }

    public void Broadcast(ChatMessage message)
    {
        var frame = new OutgoingFrame(message.Id, ChatJson.Encode(message));
        foreach (var connection in Volatile.Read(ref _connections))
        {
            if (!connection.TryEnqueue(frame)
                && connection.RequestClose(ClientConnection.TryAgainLater, "slow consumer", discardQueued: true))
            {
                metrics.CountSlowConsumer();
                LogSlowConsumer(logger, message.Id);
            }
        }
    }

    /// <summary>Asks every connection to close with <paramref name="status"/> once its queue is flushed.</summary>
    public void CloseAll(WebSocketCloseStatus status, string reason)
    {
        foreach (var connection in Volatile.Read(ref _connections))
        {
            connection.RequestClose(status, reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing a slow consumer: its queue was full at message {MessageId}")]
    private static partial void LogSlowConsumer(ILogger logger, long messageId);
}
