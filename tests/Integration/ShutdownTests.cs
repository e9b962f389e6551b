using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using DitoChat.IntegrationTests.Support;

namespace DitoChat.IntegrationTests;

/// <summary>SIGTERM mid-traffic: every socket gets 1001, the process exits 0, nothing acknowledged is lost.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_WithTrafficFlowing_ClosesEverySocketWith1001_ExitsZero_AndKeepsEveryAcknowledgedMessage()
    {
        await using var redis = await RedisServer.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["REDIS_ADDR"] = redis.Address,
            ["RATE_LIMIT_PER_SECOND"] = "0",
        };
        var service = await ServiceProcess.StartAsync(environment);
        var clients = new List<ChatClient>();
        for (var i = 0; i < 4; i++)
        {
            clients.Add(await ChatClient.ConnectAsync(service.WebSocketUri()));
        }

        // Each client sends until its socket closes; what any client received back was stored.
        var sending = clients.Select((client, c) => Task.Run(async () =>
        {
            for (var n = 0; client.Socket.State == WebSocketState.Open; n++)
            {
                try
                {
                    await client.SendAsync($"c{c}-{n}");
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException or InvalidOperationException)
                {
                    return;
                }
                await Task.Delay(2);
            }
        })).ToArray();
        var received = await clients[0].NextAsync(50); // traffic is flowing

        var exitCode = await service.TerminateAsync(within: TimeSpan.FromSeconds(30));
        await Task.WhenAll(sending);

        Assert.Equal(0, exitCode);
        foreach (var client in clients)
        {
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await client.ClosedAsync());
            await client.DisposeAsync();
        }
        var acknowledged = new ConcurrentBag<string>(received.Select(m => m.GetProperty("text").GetString()!));
        foreach (var client in clients)
        {
            foreach (var message in client.Drain())
            {
                acknowledged.Add(message.GetProperty("text").GetString()!);
            }
        }

        await using var restarted = await ServiceProcess.StartAsync(environment);
        using var http = new HttpClient { BaseAddress = restarted.BaseAddress };
        var history = (await http.GetFromJsonAsync<JsonElement[]>("messages"))!;
        var stored = history.Select(m => m.GetProperty("text").GetString()).ToHashSet();
        Assert.All(acknowledged.Distinct(), text => Assert.Contains(text, stored));
        Assert.True(acknowledged.Distinct().Count() >= 50);
        await restarted.TerminateAsync(within: TimeSpan.FromSeconds(30));
        await service.DisposeAsync();
    }
}
