using System.Net.WebSockets;
using DitoChat.IntegrationTests.Support;

namespace DitoChat.IntegrationTests;

/// <summary>A peer that stops answering pings is closed and forgotten within 90 s.</summary>
public sealed class KeepAliveTests
{
    [Fact]
    public async Task PeerThatNeverAnswersPings_IsDroppedWithin90Seconds()
    {
        await using var server = await ChatServer.StartAsync();
        // No pings of its own and never reading: it cannot answer the server's pings.
        using var silent = new ClientWebSocket();
        silent.Options.KeepAliveInterval = TimeSpan.Zero;
        await silent.ConnectAsync(server.WebSocketUri(), CancellationToken.None);
        await using var healthy = await ChatClient.ConnectAsync(server.WebSocketUri());
        Assert.Equal(2, await ConnectionsAsync(server));

        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (await ConnectionsAsync(server) > 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "the silent peer was still connected after 90 s");
            await Task.Delay(1000);
        }
        // The healthy client answered every ping and is still served.
        await healthy.SendAsync("still here");
        Assert.Equal("still here", (await healthy.NextAsync()).GetProperty("text").GetString());
    }

    private static async Task<int> ConnectionsAsync(ChatServer server)
    {
        var metrics = await server.Http.GetStringAsync("metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("ditochat_connections ", StringComparison.Ordinal));
        return int.Parse(line["ditochat_connections ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
