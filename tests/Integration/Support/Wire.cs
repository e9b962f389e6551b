using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DitoChat.IntegrationTests.Support;

/// <summary>What the contract says a client sees, as reusable checks and requests.</summary>
public static partial class Wire
{
    public static readonly string[] MessageKeys = ["id", "text", "uid", "title", "date"];

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex DateFormat();

    /// <summary>A stored or broadcast message: exactly the five keys, a positive id, the server's date format.</summary>
    public static void AssertMessage(JsonElement message)
    {
        Assert.Equal(JsonValueKind.Object, message.ValueKind);
        Assert.Equal(MessageKeys.Order(StringComparer.Ordinal), message.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.True(message.GetProperty("id").GetInt64() > 0);
        Assert.Equal(JsonValueKind.String, message.GetProperty("text").ValueKind);
        Assert.Equal(JsonValueKind.String, message.GetProperty("uid").ValueKind);
        Assert.Equal(JsonValueKind.String, message.GetProperty("title").ValueKind);
        Assert.Matches(DateFormat(), message.GetProperty("date").GetString());
    }

    public static long Id(this JsonElement message) => message.GetProperty("id").GetInt64();

    public static string Text(this JsonElement message) => message.GetProperty("text").GetString()!;

    public static bool IsError(this JsonElement item, string error) =>
        item.TryGetProperty("error", out var value) && value.GetString() == error;

    /// <summary>Ids from <paramref name="first"/>, one by one, <paramref name="count"/> of them.</summary>
    public static List<long> Ids(long first, int count) => [.. Enumerable.Range(0, count).Select(i => first + i)];

    /// <summary><c>GET /messages</c>, newest first.</summary>
    public static async Task<List<JsonElement>> GetMessagesAsync(this ChatServer server, string query = "")
    {
        using var response = await server.Http.GetAsync(new Uri("messages" + query, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<List<JsonElement>>())!;
    }

    /// <summary>The samples of <c>GET /metrics</c> by name and labels, e.g. <c>ditochat_messages_rejected_total{reason="binary"}</c>.</summary>
    public static async Task<Dictionary<string, double>> MetricsAsync(this ChatServer server)
    {
        var text = await server.Http.GetStringAsync(new Uri("metrics", UriKind.Relative));
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
        {
            var space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return samples;
    }

    public static async Task<double> MetricAsync(this ChatServer server, string sample) =>
        (await server.MetricsAsync()).GetValueOrDefault(sample);

    /// <summary>Polls until <paramref name="condition"/> holds, for at most <see cref="ChatClient.Wait"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + ChatClient.Wait;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within {ChatClient.Wait.TotalSeconds} s: {what}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Tries a WebSocket upgrade and returns the HTTP status the server answered: 101 when it accepted (the socket is
    /// then closed again), else the refusal (403, 400, 503).
    /// </summary>
    public static async Task<HttpStatusCode> UpgradeStatusAsync(Uri uri, string? origin = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        using var timeout = new CancellationTokenSource(ChatClient.Wait);
        try
        {
            await socket.ConnectAsync(uri, timeout.Token);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
        var status = socket.HttpStatusCode;
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        return status;
    }

    /// <summary>A message frame as the original frontend sends it.</summary>
    public static string Frame(string text, string uid = "u", string title = "T") =>
        JsonSerializer.Serialize(new { text, uid, title, date = "2000-01-01T00:00:00.000Z" });
}
