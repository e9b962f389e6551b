using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading.Channels;
using DitoChat.Application;
using DitoChat.Application.Abstractions;
using DitoChat.Domain;
using Microsoft.Extensions.Logging;

namespace DitoChat.Infrastructure.Connections;

/// <summary>
/// The clients connected to this process, and the local fan-out of every accepted message to them.
/// Messages are encoded once as they arrive; one fan-out loop joins whatever has arrived since its last pass into
/// one frame and queues those same bytes to every connection, so under load the per-connection work is per batch,
/// not per message.
/// </summary>
public sealed partial class ConnectionRegistry : IBroadcaster, IDisposable
{
    /// <summary>At most this many messages share a frame; every queue holds at least this many (SEND_QUEUE_SIZE ≥ 64).</summary>
    public const int MaxBatchMessages = 32;
    private const int MaxBatchBytes = 64 * 1024;

    /// <summary>
    /// Fan-out passes are at least this far apart. A message after a quiet spell goes out at once; under sustained
    /// traffic one waits at most this long and shares its frame, its wake-up and its send with the others.
    /// </summary>
    public static readonly TimeSpan MinPassInterval = TimeSpan.FromMilliseconds(20);

    private readonly ChatMetrics _metrics;
    private readonly ILogger<ConnectionRegistry> _logger;
    private readonly Lock _gate = new();
    private readonly Lock _pendingGate = new();
    private readonly Lock _deliverGate = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ArrayBufferWriter<byte> _joined = new(MaxBatchBytes);
    // Copy-on-write: a fan-out pass iterates a snapshot without taking the lock.
    private ClientConnection[] _connections = [];
    private List<(long Id, byte[] Json)> _pending = [];
    private List<(long Id, byte[] Json)> _draining = [];

    public ConnectionRegistry(ChatMetrics metrics, ILogger<ConnectionRegistry> logger)
    {
        _metrics = metrics;
        _logger = logger;
        _ = Task.Run(FanOutAsync);
    }

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

    /// <summary>Encodes the message and hands it to the fan-out loop; returns at once. Calls must come in id order.</summary>
    public void Broadcast(ChatMessage message) => Broadcast(message.Id, ChatJson.Encode(message));

    /// <summary>The same for a message already in its wire form (as Redis publishes it): no second encoding.</summary>
    public void Broadcast(long id, byte[] json)
    {
        lock (_pendingGate)
        {
            _pending.Add((id, json));
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Queues everything broadcast so far to every connection. The fan-out loop calls it; tests may too.</summary>
    public void DeliverPending()
    {
        lock (_deliverGate)
        {
            List<(long Id, byte[] Json)> batch;
            lock (_pendingGate)
            {
                batch = _pending;
                _pending = _draining;
            }
            try
            {
                for (var start = 0; start < batch.Count;)
                {
                    var frame = Join(batch, ref start);
                    foreach (var connection in Volatile.Read(ref _connections))
                    {
                        if (!connection.TryEnqueue(frame)
                            && connection.RequestClose(ClientConnection.TryAgainLater, "slow consumer", discardQueued: true))
                        {
                            _metrics.CountSlowConsumer();
                            LogSlowConsumer(_logger, frame.FirstId);
                        }
                    }
                }
            }
            finally
            {
                // Whatever happened, the list just drained becomes the spare one: never the one Broadcast appends to.
                batch.Clear();
                _draining = batch;
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

    public void Dispose() => _wake.Writer.TryComplete();

    /// <summary>The messages from <paramref name="start"/> on that fit one frame, joined by "\n"; advances <paramref name="start"/>.</summary>
    private OutgoingFrame Join(List<(long Id, byte[] Json)> batch, ref int start)
    {
        var first = batch[start];
        if (start + 1 == batch.Count || first.Json.Length + 1 + batch[start + 1].Json.Length > MaxBatchBytes)
        {
            start++;
            return new OutgoingFrame(first.Id, first.Id, 1, first.Json); // alone: no copy
        }
        _joined.ResetWrittenCount();
        var count = 0;
        var lastId = first.Id;
        while (start < batch.Count && count < MaxBatchMessages
            && (count == 0 || _joined.WrittenCount + 1 + batch[start].Json.Length <= MaxBatchBytes))
        {
            if (count++ > 0)
            {
                _joined.Write("\n"u8);
            }
            _joined.Write(batch[start].Json);
            lastId = batch[start].Id;
            start++;
        }
        return new OutgoingFrame(first.Id, lastId, count, _joined.WrittenSpan.ToArray());
    }

    private async Task FanOutAsync()
    {
        var lastPass = 0L;
        while (await _wake.Reader.WaitToReadAsync())
        {
            var wait = MinPassInterval - Stopwatch.GetElapsedTime(lastPass);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            lastPass = Stopwatch.GetTimestamp();
            _wake.Reader.TryRead(out _);
            try
            {
                DeliverPending();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogFanOutFailed(_logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing a slow consumer: its queue was full at message {MessageId}")]
    private static partial void LogSlowConsumer(ILogger logger, long messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fan-out pass failed")]
    private static partial void LogFanOutFailed(ILogger logger, Exception exception);
}
