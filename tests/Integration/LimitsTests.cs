using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using DitoChat.IntegrationTests.Support;

namespace DitoChat.IntegrationTests;

/// <summary>Per-connection rate limit, the connection cap, and slow consumers.</summary>
public class LimitsTests
{
    [Fact]
    public async Task RateLimitBurstStoresExactlyTheBucketAndRejectsTheRest()
    {
        // 1 per second: a bucket of 2 that starts full.
        await using var server = await ChatServer.StartAsync(new Dictionary<string, string> { ["RATE_LIMIT_PER_SECOND"] = "1" });
        await using var sender = await ChatClient.ConnectAsync(server.WebSocketUri());
        await using var bystander = await ChatClient.ConnectAsync(server.WebSocketUri());

        for (var n = 0; n < 10; n++)
        {
            await sender.SendAsync($"burst {n}");
        }
        var replies = await sender.NextAsync(10);

        var stored = replies.Where(r => r.TryGetProperty("id", out _)).ToList();
        var limited = replies.Where(r => r.IsError("rate_limited")).ToList();
        Assert.Equal(["burst 0", "burst 1"], stored.Select(m => m.Text()));
        Assert.Equal(8, limited.Count);
        Assert.All(limited, e => Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("detail").GetString())));
        Assert.Equal(["burst 1", "burst 0"], (await server.GetMessagesAsync()).Select(m => m.Text()));
        Assert.Equal(["burst 0", "burst 1"], (await bystander.NextAsync(2)).Select(m => m.Text()));
        Assert.Equal(8, await server.MetricAsync("ditochat_messages_rejected_total{reason=\"rate_limited\"}"));
        // A rate-limited client stays connected.
        Assert.Equal(WebSocketState.Open, sender.Socket.State);
        Assert.Empty(bystander.Drain());
    }

    [Fact]
    public async Task UpgradeBeyondMaxConnectionsGets503UntilOneLeaves()
    {
        await using var server = await ChatServer.StartAsync(new Dictionary<string, string> { ["MAX_CONNECTIONS"] = "2" });
        var first = await ChatClient.ConnectAsync(server.WebSocketUri());
        await using var second = await ChatClient.ConnectAsync(server.WebSocketUri());

        var refused = await Wire.UpgradeStatusAsync(server.WebSocketUri());
        await first.DisposeAsync();
        await Wire.EventuallyAsync(async () => await Wire.UpgradeStatusAsync(server.WebSocketUri()) == HttpStatusCode.SwitchingProtocols,
            "a place frees up once a client leaves");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused);
        await second.SendAsync("still chatting");
        Assert.Equal("still chatting", (await second.NextAsync()).Text());
        Assert.True(await server.MetricAsync("ditochat_messages_rejected_total{reason=\"connection_limit\"}") >= 1);
    }

    [Fact]
    public async Task StalledClientIsClosedAsSlowConsumerWhileOthersGetEverythingInOrder()
    {
        // 2000 CJK characters are ~6 kB of UTF-8 per message, so a stalled socket's buffers fill after a few thousand.
        await using var server = await ChatServer.StartAsync(new Dictionary<string, string>
        {
            ["RATE_LIMIT_PER_SECOND"] = "0",
            ["MAX_MESSAGE_BYTES"] = "16384",
            ["HISTORY_SIZE"] = "10000",
        });
        await using var stalled = await ChatClient.ConnectAsync(server.WebSocketUri(), read: false);
        await using var reader = await ChatClient.ConnectAsync(server.WebSocketUri());
        var body = new string('\u6f22', 1990);
        var sent = 0;

        async Task PostAsync(int count)
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async worker =>
            {
                for (var n = worker; n < count; n += 4)
                {
                    using var response = await server.Http.PostAsJsonAsync(new Uri("messages", UriKind.Relative),
                        new { text = body + n.ToString(CultureInfo.InvariantCulture) });
                    Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                }
            }));
            sent += count;
        }

        while (await server.MetricAsync("ditochat_slow_consumers_total") == 0)
        {
            Assert.True(sent < 5000, "a client that never reads was not closed after 5000 messages");
            await PostAsync(100);
        }
        stalled.StartReading();
        await PostAsync(20); // the others go on receiving after the slow one was dropped

        var received = await reader.NextAsync(sent);
        Assert.Equal(Wire.Ids(1, sent), received.Select(m => m.Id()));
        Assert.Equal((WebSocketCloseStatus)1013, await stalled.ClosedAsync());
        Assert.Equal("slow consumer", stalled.CloseReason);
        Assert.Equal(1, await server.MetricAsync("ditochat_slow_consumers_total"));
        Assert.Empty(reader.Drain());

        // What the stalled client got is a gap-free prefix; reconnecting with ?since= brings the rest.
        var partial = stalled.Drain().Select(m => m.Id()).ToList();
        Assert.Equal(Wire.Ids(1, partial.Count), partial);
        await using var back = await ChatClient.ConnectAsync(server.WebSocketUri($"?since={partial.Count}"));
        var rest = await back.NextAsync(sent - partial.Count);
        Assert.Equal(Wire.Ids(partial.Count + 1, sent - partial.Count), rest.Select(m => m.Id()));
    }
}
