using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using DitoChat.IntegrationTests.Support;

namespace DitoChat.IntegrationTests;

/// <summary>Redis mode: replicas on one Redis behave as one chat server.</summary>
public sealed class RedisReplicaTests
{
    private static Dictionary<string, string> Settings(RedisServer redis, int historySize = 1000) => new()
    {
        ["REDIS_ADDR"] = redis.Address,
        ["HISTORY_SIZE"] = historySize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RATE_LIMIT_PER_SECOND"] = "0",
    };

    private static long[] Ids(IEnumerable<JsonElement> messages) => [.. messages.Select(m => m.GetProperty("id").GetInt64())];

    private static async Task<JsonElement[]> HistoryAsync(ChatServer server, string query = "") =>
        (await server.Http.GetFromJsonAsync<JsonElement[]>("messages" + query))!;

    [Fact]
    public async Task TwoReplicas_EveryClientSeesEveryMessage_InOneOrder()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await ChatServer.StartAsync(Settings(redis));
        await using var b = await ChatServer.StartAsync(Settings(redis));
        var clients = new List<ChatClient>();
        foreach (var server in new[] { a, b, a, b })
        {
            clients.Add(await ChatClient.ConnectAsync(server.WebSocketUri()));
        }
        const int perSender = 40;
        // Two senders on each replica, all at once.
        await Task.WhenAll(clients.Select((client, sender) => Task.Run(async () =>
        {
            for (var i = 0; i < perSender; i++)
            {
                await client.SendAsync($"s{sender}-{i}", uid: $"s{sender}");
            }
        })));

        var total = clients.Count * perSender;
        var received = new List<long[]>();
        foreach (var client in clients)
        {
            var messages = await client.NextAsync(total);
            received.Add(Ids(messages));
            // Each sender's messages arrive in the order it sent them.
            foreach (var bySender in messages.GroupBy(m => m.GetProperty("uid").GetString()))
            {
                Assert.Equal(
                    Enumerable.Range(0, perSender).Select(i => $"{bySender.Key}-{i}"),
                    bySender.Select(m => m.GetProperty("text").GetString()));
            }
        }
        var first = received[0];
        Assert.Equal(Enumerable.Range((int)first[0], total).Select(i => (long)i), first); // consecutive, no gap, no duplicate
        Assert.All(received, ids => Assert.Equal(first, ids));
        foreach (var client in clients)
        {
            Assert.Empty(client.Drain());
            await client.DisposeAsync();
        }

        var historyA = await HistoryAsync(a);
        var historyB = await HistoryAsync(b);
        Assert.Equal(Ids(historyA), Ids(historyB));
        Assert.Equal(first.Reverse(), Ids(historyA));
        Assert.Equal(historyA.Select(m => m.GetRawText()), historyB.Select(m => m.GetRawText()));
    }

    [Fact]
    public async Task History_KeepsExactlyHistorySize_AndPagesByBefore()
    {
        const int historySize = 20;
        await using var redis = await RedisServer.StartAsync();
        await using var server = await ChatServer.StartAsync(Settings(redis, historySize));
        for (var i = 1; i <= historySize + 7; i++)
        {
            var response = await server.Http.PostAsJsonAsync("messages", new { text = $"m{i}", uid = "u", title = "T" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var all = await HistoryAsync(server);
        Assert.Equal(Enumerable.Range(8, historySize).Reverse().Select(i => (long)i), Ids(all));
        Assert.Equal("m27", all[0].GetProperty("text").GetString());

        var pages = new List<long>();
        string query = "?limit=6";
        while (true)
        {
            var page = await HistoryAsync(server, query);
            if (page.Length == 0)
            {
                break;
            }
            Assert.True(page.Length <= 6);
            pages.AddRange(Ids(page));
            query = $"?limit=6&before={Ids(page)[^1]}";
        }
        Assert.Equal(Ids(all), pages);
    }

    [Fact]
    public async Task Reconnecting_WithSince_WhilePublishing_MissesNothingAndDoublesNothing()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var publisherSide = await ChatServer.StartAsync(Settings(redis));
        await using var readerSide = await ChatServer.StartAsync(Settings(redis));
        const int total = 400;
        var publishing = Task.Run(async () =>
        {
            await using var publisher = await ChatClient.ConnectAsync(publisherSide.WebSocketUri());
            for (var i = 0; i < total; i++)
            {
                await publisher.SendAsync($"p{i}");
                if (i % 20 == 0)
                {
                    await Task.Delay(5);
                }
            }
            await publisher.NextAsync(total); // its own echoes: everything stored
        });

        // The race-free flow: history first, then ?since= its newest id; reconnect again and again meanwhile.
        var history = await HistoryAsync(readerSide);
        var seen = Ids(history).Reverse().ToList();
        var lastId = seen.Count > 0 ? seen[^1] : 0;
        var reconnects = 0;
        while (lastId < total)
        {
            // Take a few, drop the socket mid-stream, come back with ?since= the last id seen.
            await using var reader = await ChatClient.ConnectAsync(readerSide.WebSocketUri($"?since={lastId}"));
            seen.AddRange(Ids(await reader.NextAsync((int)Math.Min(15, total - lastId))));
            lastId = seen[^1];
            reconnects++;
        }
        await publishing;

        Assert.True(reconnects >= 3, $"only {reconnects} reconnects");
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task RedisRestart_SendsFailWhileDown_ServiceRecoversWithoutRestart()
    {
        await using var redis = await RedisServer.StartAsync(persistent: true);
        await using var server = await ChatServer.StartAsync(Settings(redis));
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri());
        await client.SendAsync("before");
        Assert.Equal(1, (await client.NextAsync()).GetProperty("id").GetInt64());

        await redis.StopAsync();
        await client.SendAsync("while down");
        var error = await client.NextAsync();
        Assert.Equal("unavailable", error.GetProperty("error").GetString());
        var post = await server.Http.PostAsJsonAsync("messages", new { text = "while down" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode);
        Assert.Equal("application/problem+json", post.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Http.GetAsync("health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("health/live")).StatusCode);
        Assert.Equal(WebSocketState.Open, client.Socket.State);

        await redis.RestartAsync();
        await WaitUntilAsync(async () => (await server.Http.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK);
        // The subscription comes back by itself; the first send after it may race the resubscribe, so retry a few.
        JsonElement echoed = default;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await client.SendAsync("after");
            echoed = await client.NextAsync();
            if (echoed.TryGetProperty("id", out _))
            {
                break;
            }
            await Task.Delay(250);
        }
        Assert.Equal("after", echoed.GetProperty("text").GetString());
        // Ids go on from before the outage (the data survived), and "while down" was never stored.
        var history = await HistoryAsync(server);
        Assert.Equal(echoed.GetProperty("id").GetInt64(), Ids(history)[0]);
        Assert.Equal(Enumerable.Range(1, history.Length).Reverse().Select(i => (long)i), Ids(history));
        Assert.Equal("before", history[^1].GetProperty("text").GetString());
        Assert.All(history[..^1], m => Assert.Equal("after", m.GetProperty("text").GetString()));
        // Readiness reports Redis as unhealthy at Error level while it is down; nothing else may log an error.
        Assert.DoesNotContain(server.Logs.Errors, e => !e.Category.Contains("HealthCheck", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RedisLosesItsData_SocketsAreToldToReconnect_AndGetTheNewWindow()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await ChatServer.StartAsync(Settings(redis));
        await using var sender = await ChatClient.ConnectAsync(server.WebSocketUri());
        for (var i = 0; i < 3; i++)
        {
            await sender.SendAsync($"old{i}");
        }
        Assert.Equal(new long[] { 1, 2, 3 }, Ids(await sender.NextAsync(3)));

        await redis.RestartAsync(); // empty: ids start again at 1
        await WaitUntilAsync(async () => (await server.Http.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK);
        await WaitUntilAsync(async () =>
            (await server.Http.PostAsJsonAsync("messages", new { text = "new" })).StatusCode == HttpStatusCode.Created);

        Assert.Equal((WebSocketCloseStatus)1012, await sender.ClosedAsync());
        await using var again = await ChatClient.ConnectAsync(server.WebSocketUri("?since=3"));
        var replay = await again.NextAsync();
        Assert.Equal(1, replay.GetProperty("id").GetInt64());
        Assert.Equal("new", replay.GetProperty("text").GetString());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task FullConfigurationString_WithPasswordAndKeyPrefix_StoresUnderOneHashTag()
    {
        await using var redis = await RedisServer.StartAsync(password: "s3cret pass");
        var settings = new Dictionary<string, string>
        {
            ["REDIS_ADDR"] = $"{redis.Address},password=s3cret pass,connectTimeout=2000",
            ["REDIS_KEY_PREFIX"] = "team-a",
        };
        await using var server = await ChatServer.StartAsync(settings);
        var created = await server.Http.PostAsJsonAsync("messages", new { text = "hello" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("hello", (await HistoryAsync(server))[0].GetProperty("text").GetString());

        await using var direct = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{redis.Address},password=s3cret pass");
        var keys = direct.GetServer(redis.Address).Keys().Select(k => k.ToString()).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["{team-a}:last-id", "{team-a}:messages"], keys);
    }

    [Fact]
    public async Task History_OnAnyReplica_ShowsAMessageAsSoonAsItsPostReturns()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await ChatServer.StartAsync(Settings(redis));
        await using var b = await ChatServer.StartAsync(Settings(redis));
        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(i - 1, (await HistoryAsync(b)).Length);
            Assert.Equal(HttpStatusCode.Created, (await a.Http.PostAsJsonAsync("messages", new { text = $"m{i}" })).StatusCode);
            // The window b served a moment ago is not served again once a newer message is stored.
            Assert.Equal($"m{i}", (await HistoryAsync(b))[0].GetProperty("text").GetString());
            Assert.Equal($"m{i}", (await HistoryAsync(a))[0].GetProperty("text").GetString());
        }
    }

    [Fact]
    public async Task SomethingElsePublishedOnTheChannel_IsIgnored_AndChatGoesOn()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await ChatServer.StartAsync(Settings(redis));
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri());
        await using var other = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Address);

        await other.GetSubscriber().PublishAsync(StackExchange.Redis.RedisChannel.Literal("{dito}:published"), "not a chat message");
        await client.SendAsync("still fine");

        Assert.Equal("still fine", (await client.NextAsync()).GetProperty("text").GetString());
        Assert.Empty(server.Logs.Errors);
    }
}
