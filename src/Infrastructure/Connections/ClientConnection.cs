using System.Net.WebSockets;
using System.Threading.Channels;

namespace DitoChat.Infrastructure.Connections;

/// <summary>
/// Bytes for one client, <paramref name="Count"/> JSON objects joined by "\n": a batch of broadcast messages with
/// ids <paramref name="FirstId"/>..<paramref name="LastId"/> (the same bytes for every connection), or a reply to
/// this client only (ids 0).
/// </summary>
public readonly record struct OutgoingFrame(long FirstId, long LastId, int Count, ReadOnlyMemory<byte> Json)
{
    public static OutgoingFrame Reply(ReadOnlyMemory<byte> json) => new(0, 0, 1, json);

    public bool IsBroadcast => FirstId != 0;
}

/// <summary>Why and how the server ends a connection.</summary>
public sealed record CloseRequest(WebSocketCloseStatus Status, string Reason, bool DiscardQueued);

/// <summary>
/// One client's bounded outgoing queue. Anyone may enqueue without waiting; exactly one writer loop drains it
/// to the socket. A full queue means a slow consumer, which is closed rather than waited for.
/// </summary>
public sealed class ClientConnection(int queueCapacity) : IDisposable
{
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    private readonly Channel<OutgoingFrame> _queue = Channel.CreateBounded<OutgoingFrame>(
        new BoundedChannelOptions(queueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _closing = new();
    private CloseRequest? _closeRequest;
    private int _queuedObjects;

    /// <summary>Set once the server decided to close; the writer loop sends this close frame.</summary>
    public CloseRequest? CloseRequest => Volatile.Read(ref _closeRequest);

    /// <summary>Cancelled when a close is requested, so the socket's owner can bound how long the close may take.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>False when the queue would hold more than its capacity in objects, or the connection is closing.</summary>
    public bool TryEnqueue(OutgoingFrame frame)
    {
        if (Interlocked.Add(ref _queuedObjects, frame.Count) > queueCapacity || !_queue.Writer.TryWrite(frame))
        {
            Interlocked.Add(ref _queuedObjects, -frame.Count);
            return false;
        }
        return true;
    }

    /// <summary>For the one writer loop: true when a frame may be dequeued, false once closed and drained.</summary>
    public ValueTask<bool> WaitToReadAsync() => _queue.Reader.WaitToReadAsync();

    public bool TryPeek(out OutgoingFrame frame) => _queue.Reader.TryPeek(out frame);

    public bool TryDequeue(out OutgoingFrame frame)
    {
        if (!_queue.Reader.TryRead(out frame))
        {
            return false;
        }
        Interlocked.Add(ref _queuedObjects, -frame.Count);
        return true;
    }

    /// <summary>Asks the writer loop to close; the first request wins. Returns false when one was already made.</summary>
    public bool RequestClose(WebSocketCloseStatus status, string reason, bool discardQueued = false)
    {
        if (Interlocked.CompareExchange(ref _closeRequest, new CloseRequest(status, reason, discardQueued), null) is not null)
        {
            return false;
        }
        _queue.Writer.TryComplete();
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection's life already ended; a fan-out pass still held it in its snapshot.
        }
        return true;
    }

    public void Dispose() => _closing.Dispose();
}
