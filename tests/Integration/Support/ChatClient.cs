using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace DitoChat.IntegrationTests.Support;

/// <summary>
/// A WebSocket client as the original frontend is: sends one JSON object per text frame, splits every incoming
/// frame on "\n". Keeps the raw frames too, so tests can check their shape.
/// </summary>
public sealed class ChatClient : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly Channel<JsonElement> _objects = Channel.CreateUnbounded<JsonElement>();
    private readonly List<string> _frames = [];
    private Task? _reading;

    private ChatClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    /// <summary>The close status the server sent, once the socket is closed.</summary>
    public WebSocketCloseStatus? CloseStatus => Socket.CloseStatus;

    public string? CloseReason => Socket.CloseStatusDescription;

    public IReadOnlyList<string> Frames
    {
        get
        {
            lock (_frames)
            {
                return [.. _frames];
            }
        }
    }

    /// <param name="read">false: connect without reading, as a client that stalls; call <see cref="StartReading"/> later.</param>
    public static async Task<ChatClient> ConnectAsync(Uri uri, string? origin = null, bool read = true)
    {
        var socket = new ClientWebSocket();
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        using var timeout = new CancellationTokenSource(Wait);
        await socket.ConnectAsync(uri, timeout.Token);
        var client = new ChatClient(socket);
        if (read)
        {
            client.StartReading();
        }
        return client;
    }

    public void StartReading() => _reading ??= Task.Run(ReadAsync);

    public Task SendAsync(string text, string uid = "u", string title = "T") =>
        SendRawAsync(JsonSerializer.Serialize(new { text, uid, title, date = DateTime.UtcNow.ToString("o") }));

    public async Task SendRawAsync(string frame) => await SendBytesAsync(Encoding.UTF8.GetBytes(frame));

    public async Task SendBytesAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text)
    {
        using var timeout = new CancellationTokenSource(Wait);
        await Socket.SendAsync(bytes, type, true, timeout.Token);
    }

    /// <summary>The next object the server sent (a message or an error object).</summary>
    public async Task<JsonElement> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Wait);
        try
        {
            return await _objects.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing received within {Wait.TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the socket closed ({CloseStatus} {CloseReason}) before another object arrived");
        }
    }

    public async Task<List<JsonElement>> NextAsync(int count)
    {
        var result = new List<JsonElement>(count);
        for (var i = 0; i < count; i++)
        {
            result.Add(await NextAsync());
        }
        return result;
    }

    /// <summary>Objects received so far and not yet taken.</summary>
    public List<JsonElement> Drain()
    {
        var result = new List<JsonElement>();
        while (_objects.Reader.TryRead(out var item))
        {
            result.Add(item);
        }
        return result;
    }

    /// <summary>Waits until the server closed the socket; returns the close status (null if it was aborted).</summary>
    public async Task<WebSocketCloseStatus?> ClosedAsync()
    {
        StartReading();
        await _reading!.WaitAsync(Wait);
        return CloseStatus;
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }
        Socket.Dispose();
    }

    /// <summary>Completes the close handshake the server started, as a browser does.</summary>
    private async Task AnswerCloseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await Socket.CloseOutputAsync(Socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or InvalidOperationException)
        {
            // A send of the test's own was in flight, or the server already gave up: the close still happened.
        }
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        using var frame = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await AnswerCloseAsync();
                    return;
                }
                frame.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                var text = Encoding.UTF8.GetString(frame.GetBuffer(), 0, (int)frame.Length);
                frame.SetLength(0);
                lock (_frames)
                {
                    _frames.Add(text);
                }
                foreach (var piece in text.Split('\n'))
                {
                    _objects.Writer.TryWrite(JsonDocument.Parse(piece).RootElement.Clone());
                }
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            _objects.Writer.TryComplete();
        }
    }
}
