using System.Net.WebSockets;
using System.Threading.Channels;

namespace DitoChat.Infrastructure.Connections;

/// <summary>Bytes for one client: a broadcast message (shared by every connection) or a reply to this client only (id 0).</summary>
public readonly record struct OutgoingFrame(long Id, ReadOnlyMemory<byte> Json);

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

    public ChannelReader<OutgoingFrame> Outgoing => _queue.Reader;

    /// <summary>Set once the server decided to close; the writer loop sends this close frame.</summary>
    public CloseRequest? CloseRequest => Volatile.Read(ref _closeRequest);

    /// <summary>Cancelled when a close is requested, so the socket's owner can bound how long the close may take.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>False when the queue is full or the connection is closing.</summary>
    public bool TryEnqueue(OutgoingFrame frame) => _queue.Writer.TryWrite(frame);

    /// <summary>Asks the writer loop to close; the first request wins. Returns false when one was already made.</summary>
    public bool RequestClose(WebSocketCloseStatus status, string reason, bool discardQueued = false)
    {
        if (Interlocked.CompareExchange(ref _closeRequest, new CloseRequest(status, reason, discardQueued), null) is not null)
        {
            return false;
        }
        _queue.Writer.TryComplete();
        _closing.Cancel();
        return true;
    }

    public void Dispose() => _closing.Dispose();
}
