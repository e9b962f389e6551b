using System.Globalization;
using System.Net;
using System.Text.Json;
using DitoChat.IntegrationTests.Support;

namespace DitoChat.IntegrationTests;

/// <summary>/ws in the in-memory mode: fan-out, order, frame shape, the original frontend, ?since= replay.</summary>
public class SocketTests
{
    [Fact]
    public async Task EveryClientReceivesEveryMessageInTheSameOrderSenderIncluded()
    {
        await using var server = await ChatServer.StartAsync();
        var clients = new List<ChatClient>();
        for (var i = 0; i < 3; i++)
        {
            clients.Add(await ChatClient.ConnectAsync(server.WebSocketUri()));
        }
        const int perClient = 5;

        await Task.WhenAll(clients.Select(async (client, c) =>
        {
            for (var n = 0; n < perClient; n++)
            {
                await client.SendAsync($"c{c}-{n}", uid: $"client{c}", title: $"Client {c}");
            }
        }));
        var received = await Task.WhenAll(clients.Select(c => c.NextAsync(clients.Count * perClient)));

        var ids = received[0].Select(m => m.Id()).ToList();
        Assert.Equal(Wire.Ids(1, clients.Count * perClient), ids);
        foreach (var messages in received)
        {
            Assert.All(messages, Wire.AssertMessage);
            Assert.Equal(received[0].Select(m => m.GetRawText()), messages.Select(m => m.GetRawText()));
        }
        for (var c = 0; c < clients.Count; c++)
        {
            // Each client's own messages arrive in the order it sent them, with its uid and title.
            var own = received[c].Where(m => m.GetProperty("uid").GetString() == $"client{c}").ToList();
            Assert.Equal(Enumerable.Range(0, perClient).Select(n => $"c{c}-{n}"), own.Select(m => m.Text()));
            Assert.All(own, m => Assert.Equal($"Client {c}", m.GetProperty("title").GetString()));
        }
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task FramesHoldNoLeadingTrailingOrEmptyPieces()
    {
        await using var server = await ChatServer.StartAsync(new Dictionary<string, string> { ["RATE_LIMIT_PER_SECOND"] = "0" });
        await using var sender = await ChatClient.ConnectAsync(server.WebSocketUri());
        await using var reader = await ChatClient.ConnectAsync(server.WebSocketUri());

        // A quick burst, so the server has queued objects it may coalesce into one frame.
        for (var n = 0; n < 200; n++)
        {
            await sender.SendAsync($"burst {n}");
        }
        await reader.NextAsync(200);
        await sender.NextAsync(200);

        foreach (var frame in sender.Frames.Concat(reader.Frames))
        {
            Assert.False(frame.StartsWith('\n'), "a frame starts with a newline");
            Assert.False(frame.EndsWith('\n'), "a frame ends with a newline");
            Assert.DoesNotContain("\n\n", frame, StringComparison.Ordinal);
            Assert.All(frame.Split('\n'), piece => Assert.False(string.IsNullOrWhiteSpace(piece)));
        }
    }

    [Fact]
    public async Task OriginalFrontendMessageGetsTheServersIdAndDate()
    {
        await using var server = await ChatServer.StartAsync();
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri());
        var before = DateTime.UtcNow.AddSeconds(-5);

        await client.SendRawAsync("""{"text":"  hello  ","uid":"k3j2","date":"2000-01-01T00:00:00.000Z","title":"Ana"}""");
        var message = await client.NextAsync();

        Wire.AssertMessage(message);
        Assert.Equal(1, message.Id());
        Assert.Equal("hello", message.Text());
        Assert.Equal("k3j2", message.GetProperty("uid").GetString());
        Assert.Equal("Ana", message.GetProperty("title").GetString());
        var date = DateTime.Parse(message.GetProperty("date").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        Assert.InRange(date, before, DateTime.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task HistoryIsNewestFirstAsTheOriginalFrontendExpects()
    {
        await using var server = await ChatServer.StartAsync();
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri());
        foreach (var text in new[] { "first", "second", "third" })
        {
            await client.SendAsync(text);
        }
        var live = await client.NextAsync(3);

        var history = await server.GetMessagesAsync();

        Assert.Equal(["third", "second", "first"], history.Select(m => m.Text()));
        Assert.All(history, Wire.AssertMessage);
        // The same objects as broadcast, byte for byte in meaning.
        Assert.Equal(live.Select(m => m.GetRawText()).Reverse(), history.Select(m => JsonSerializer.Serialize(m)));
    }

    [Fact]
    public async Task KeepsInnerNewlinesAndDropsUnknownFields()
    {
        await using var server = await ChatServer.StartAsync();
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri());

        await client.SendRawAsync("""{"text":"line one\nline two","uid":"u","title":"T","color":"red","id":999}""");
        var message = await client.NextAsync();

        Wire.AssertMessage(message);
        Assert.Equal("line one\nline two", message.Text());
        Assert.Equal(1, message.Id());
        Assert.DoesNotContain('\n', Assert.Single(client.Frames));
    }

    [Fact]
    public async Task StoresAbsentUidAndTitleAsEmpty()
    {
        await using var server = await ChatServer.StartAsync();
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri());

        await client.SendRawAsync("""{"text":"anonymous"}""");
        var message = await client.NextAsync();

        Wire.AssertMessage(message);
        Assert.Equal("", message.GetProperty("uid").GetString());
        Assert.Equal("", message.GetProperty("title").GetString());
    }

    private static async Task<ChatServer> ServerWithMessages(int count, int historySize = 1000)
    {
        var server = await ChatServer.StartAsync(new Dictionary<string, string>
        {
            ["HISTORY_SIZE"] = historySize.ToString(CultureInfo.InvariantCulture),
            ["RATE_LIMIT_PER_SECOND"] = "0",
        });
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri());
        for (var n = 1; n <= count; n++)
        {
            await client.SendAsync($"m{n}");
        }
        await client.NextAsync(count);
        return server;
    }

    [Theory]
    [InlineData(3, 4)] // inside the window: only the newer ones
    [InlineData(0, 1)] // zero: the whole window
    [InlineData(99, 1)] // above the newest (the store was reset): the whole window
    public async Task SinceReplaysRetainedMessagesThenLiveOnes(long since, long firstReplayed)
    {
        await using var server = await ServerWithMessages(5);
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri($"?since={since}"));

        var replayed = await client.NextAsync((int)(5 - firstReplayed + 1));
        await client.SendAsync("live");
        var live = await client.NextAsync();

        Assert.Equal(Wire.Ids(firstReplayed, (int)(5 - firstReplayed + 1)), replayed.Select(m => m.Id()));
        Assert.All(replayed, Wire.AssertMessage);
        Assert.Equal(6, live.Id());
        Assert.Equal("live", live.Text());
        Assert.Empty(client.Drain());
    }

    [Fact]
    public async Task SinceTheNewestReplaysNothingAndMissesNothing()
    {
        await using var server = await ServerWithMessages(5);
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri("?since=5"));

        await client.SendAsync("live");

        Assert.Equal(6, (await client.NextAsync()).Id());
    }

    [Fact]
    public async Task SinceAboveAnEmptiedStoreStillDeliversItsFirstMessagesLive()
    {
        // A client that saw ids up to 5 reconnects to a server whose store starts again from nothing.
        await using var server = await ChatServer.StartAsync();
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri("?since=5"));

        await client.SendAsync("first after the reset");

        var message = await client.NextAsync();
        Assert.Equal(1, message.Id());
        Assert.Equal("first after the reset", message.Text());
    }

    [Fact]
    public async Task SinceOlderThanTheWindowReplaysTheWholeWindow()
    {
        await using var server = await ServerWithMessages(15, historySize: 10);
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri("?since=2"));

        var replayed = await client.NextAsync(10);

        Assert.Equal(Wire.Ids(6, 10), replayed.Select(m => m.Id()));
    }

    [Fact]
    public async Task HistoryThenSinceMissesNothingSentInBetween()
    {
        await using var server = await ServerWithMessages(3);
        var newest = (await server.GetMessagesAsync())[0].Id();
        await using (var other = await ChatClient.ConnectAsync(server.WebSocketUri()))
        {
            await other.SendAsync("sent between the two requests");
            await other.NextAsync();
        }

        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri($"?since={newest}"));

        var missed = await client.NextAsync();
        Assert.Equal(newest + 1, missed.Id());
        Assert.Equal("sent between the two requests", missed.Text());
    }

    [Theory]
    [InlineData("?since=abc")]
    [InlineData("?since=-1")]
    [InlineData("?since=1.5")]
    [InlineData("?since=1&since=2")]
    public async Task InvalidSinceIsRefusedWith400BeforeTheUpgrade(string query)
    {
        await using var server = await ChatServer.StartAsync();

        Assert.Equal(HttpStatusCode.BadRequest, await Wire.UpgradeStatusAsync(server.WebSocketUri(query)));
    }

    [Fact]
    public async Task HistoryKeepsExactlyHistorySizeMessagesAndPages()
    {
        await using var server = await ServerWithMessages(15, historySize: 10);

        var all = await server.GetMessagesAsync();
        var firstPage = await server.GetMessagesAsync("?limit=4");
        var secondPage = await server.GetMessagesAsync($"?limit=4&before={firstPage[^1].Id()}");
        var lastPage = await server.GetMessagesAsync("?limit=4&before=8");

        Assert.Equal(Wire.Ids(6, 10).AsEnumerable().Reverse(), all.Select(m => m.Id()));
        Assert.Equal([15L, 14L, 13L, 12L], firstPage.Select(m => m.Id()));
        Assert.Equal([11L, 10L, 9L, 8L], secondPage.Select(m => m.Id()));
        Assert.Equal([7L, 6L], lastPage.Select(m => m.Id()));
        Assert.Equal("m15", all[0].Text());
    }

    [Fact]
    public async Task ServerPageIsServedAtTheRoot()
    {
        await using var server = await ChatServer.StartAsync();

        using var response = await server.Http.GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }
}
