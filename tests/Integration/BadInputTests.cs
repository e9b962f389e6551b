using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using DitoChat.IntegrationTests.Support;

namespace DitoChat.IntegrationTests;

/// <summary>Every bad input of the contract: answered only to the sender, never stored or broadcast.</summary>
public class BadInputTests
{
    /// <summary>A server with a sender and a bystander who watches what is broadcast.</summary>
    private sealed class Room : IAsyncDisposable
    {
        public required ChatServer Server { get; init; }
        public required ChatClient Sender { get; init; }
        public required ChatClient Bystander { get; init; }

        public static async Task<Room> OpenAsync()
        {
            var server = await ChatServer.StartAsync();
            return new Room
            {
                Server = server,
                Sender = await ChatClient.ConnectAsync(server.WebSocketUri()),
                Bystander = await ChatClient.ConnectAsync(server.WebSocketUri()),
            };
        }

        /// <summary>Only <paramref name="texts"/> were stored and broadcast, in this order.</summary>
        public async Task AssertOnlyAsync(params string[] texts)
        {
            var broadcast = await Bystander.NextAsync(texts.Length);
            Assert.Equal(texts, broadcast.Select(m => m.Text()));
            Assert.Equal(texts.Reverse(), (await Server.GetMessagesAsync()).Select(m => m.Text()));
            Assert.Empty(Bystander.Drain());
        }

        public async ValueTask DisposeAsync()
        {
            await Sender.DisposeAsync();
            await Bystander.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    private static void AssertInvalidMessage(JsonElement reply, string? field)
    {
        Assert.Equal(["detail", "error"], reply.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("invalid_message", reply.GetProperty("error").GetString());
        var detail = reply.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));
        if (field is not null)
        {
            Assert.StartsWith(field + ": ", detail, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, string?> InvalidMessages() => new()
    {
        { "not json", null },
        { "{\"text\":\"unterminated", null },
        { "{\"text\":\"hi\"} trailing", null },
        { "{\"text\":\"a\"}\n{\"text\":\"b\"}", null },
        { "[{\"text\":\"hi\"}]", null },
        { "\"hi\"", null },
        { "42", null },
        { "null", null },
        { "{}", "text" },
        { "{\"text\":\"\"}", "text" },
        { "{\"text\":\" \\n\\t \"}", "text" },
        { "{\"text\":5}", "text" },
        { "{\"text\":null}", "text" },
        { "{\"text\":true}", "text" },
        { "{\"text\":[\"hi\"]}", "text" },
        { "{\"text\":\"hi\",\"uid\":{}}", "uid" },
        { "{\"text\":\"hi\",\"uid\":7}", "uid" },
        { "{\"text\":\"hi\",\"title\":[]}", "title" },
        { JsonSerializer.Serialize(new { text = new string('x', 2001) }), "text" },
        { JsonSerializer.Serialize(new { text = "hi", uid = new string('u', 65) }), "uid" },
        { JsonSerializer.Serialize(new { text = "hi", title = new string('t', 65) }), "title" },
        { "{\"text\":\"half \\ud800 a pair\"}", "text" },
        { "{\"text\":\"hi\",\"uid\":\"\\udc00\"}", "uid" },
    };

    [Theory]
    [MemberData(nameof(InvalidMessages))]
    public async Task InvalidMessageGetsAnErrorObjectAndTheConnectionStaysOpen(string frame, string? field)
    {
        await using var room = await Room.OpenAsync();

        await room.Sender.SendRawAsync(frame);
        var reply = await room.Sender.NextAsync();
        await room.Sender.SendAsync("still here");
        var next = await room.Sender.NextAsync();

        AssertInvalidMessage(reply, field);
        Assert.Equal("still here", next.Text());
        Assert.Equal(WebSocketState.Open, room.Sender.Socket.State);
        await room.AssertOnlyAsync("still here");
    }

    [Fact]
    public async Task TextOfExactlyTwoThousandCharactersAfterTrimmingIsAccepted()
    {
        await using var room = await Room.OpenAsync();
        var text = new string('x', 2000);

        await room.Sender.SendRawAsync(JsonSerializer.Serialize(new { text = "  " + text + "  " }));

        Assert.Equal(text, (await room.Sender.NextAsync()).Text());
    }

    private static async Task AssertClosedAsync(Room room, WebSocketCloseStatus expected)
    {
        Assert.Equal(expected, await room.Sender.ClosedAsync());
        // The others are unaffected, and nothing of the bad frame was stored or broadcast.
        await using var other = await ChatClient.ConnectAsync(room.Server.WebSocketUri());
        await other.SendAsync("after");
        await room.AssertOnlyAsync("before", "after");
    }

    [Fact]
    public async Task BinaryFrameClosesWith1003()
    {
        await using var room = await Room.OpenAsync();
        await room.Sender.SendAsync("before");

        await room.Sender.SendBytesAsync(Encoding.UTF8.GetBytes(Wire.Frame("binary")), WebSocketMessageType.Binary);

        await AssertClosedAsync(room, WebSocketCloseStatus.InvalidMessageType);
    }

    [Fact]
    public async Task FrameOverMaxMessageBytesClosesWith1009()
    {
        await using var room = await Room.OpenAsync();
        await room.Sender.SendAsync("before");

        await room.Sender.SendRawAsync(JsonSerializer.Serialize(new { text = "too big", pad = new string('p', 4096) }));

        await AssertClosedAsync(room, WebSocketCloseStatus.MessageTooBig);
    }

    [Fact]
    public async Task FragmentedFrameOverMaxMessageBytesClosesWith1009()
    {
        await using var room = await Room.OpenAsync();
        await room.Sender.SendAsync("before");
        var frame = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { text = "too big", pad = new string('p', 6000) }));

        using var timeout = new CancellationTokenSource(ChatClient.Wait);
        for (var offset = 0; offset < frame.Length; offset += 1000)
        {
            var length = Math.Min(1000, frame.Length - offset);
            await room.Sender.Socket.SendAsync(frame.AsMemory(offset, length), WebSocketMessageType.Text,
                endOfMessage: offset + length == frame.Length, timeout.Token);
        }

        await AssertClosedAsync(room, WebSocketCloseStatus.MessageTooBig);
    }

    [Fact]
    public async Task FrameOfExactlyMaxMessageBytesIsAccepted()
    {
        await using var room = await Room.OpenAsync();
        var prefix = "{\"text\":\"fits\",\"pad\":\"";
        var frame = prefix + new string('p', 4096 - prefix.Length - 2) + "\"}";
        Assert.Equal(4096, Encoding.UTF8.GetByteCount(frame));

        await room.Sender.SendRawAsync(frame);

        Assert.Equal("fits", (await room.Sender.NextAsync()).Text());
        await room.AssertOnlyAsync("fits");
    }

    [Fact]
    public async Task InvalidUtf8ClosesWith1007()
    {
        await using var room = await Room.OpenAsync();
        var statuses = new List<WebSocketCloseStatus?>();
        var sent = new List<string>();

        // Several senders: each must see the close code, not a reset connection.
        for (var round = 0; round < 5; round++)
        {
            await using var sender = await ChatClient.ConnectAsync(room.Server.WebSocketUri());
            await sender.SendAsync($"before {round}");
            sent.Add($"before {round}");
            await sender.SendBytesAsync([.. "{\"text\":\"bad "u8, 0xC3, 0x28, 0xFF, .. "\"}"u8]);
            statuses.Add(await sender.ClosedAsync());
        }

        Assert.All(statuses, status => Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status));
        await room.AssertOnlyAsync([.. sent]);
    }

    [Fact]
    public async Task RejectionsAreCountedByReason()
    {
        await using var room = await Room.OpenAsync();
        await room.Sender.SendRawAsync("{\"text\":\"\"}");
        await room.Sender.NextAsync();
        await room.Sender.SendBytesAsync([1, 2, 3], WebSocketMessageType.Binary);
        await room.Sender.ClosedAsync();

        await Wire.EventuallyAsync(async () =>
            await room.Server.MetricAsync("ditochat_messages_rejected_total{reason=\"binary\"}") == 1, "the binary frame is counted");
        Assert.Equal(1, await room.Server.MetricAsync("ditochat_messages_rejected_total{reason=\"invalid_message\"}"));
        Assert.Equal(0, await room.Server.MetricAsync("ditochat_messages_accepted_total"));
    }
}
