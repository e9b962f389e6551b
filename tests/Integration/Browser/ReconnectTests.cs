using System.Net.Http.Json;
using DitoChat.IntegrationTests.Support;
using static Microsoft.Playwright.Assertions;

namespace DitoChat.IntegrationTests.Browser;

/// <summary>The server restarted under an open page (Redis mode): the page reconnects with <c>?since=</c> and shows everything once.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ReconnectTests(BrowserFixture browser)
{
    [Fact]
    public async Task ServerRestart_PageReconnectsAndShowsMessagesSentMeanwhileOnce()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string> { ["REDIS_ADDR"] = redis.Address, ["HISTORY_SIZE"] = "1000" };
        ChatServer? server = await ChatServer.StartAsync(settings);
        var port = server.Port;
        try
        {
            await using var profile = await browser.NewUserAsync();
            var ana = await ChatPage.JoinAsync(profile, server.BaseAddress, "Ana");
            await ana.SendAsync("before 1");
            await ana.SendAsync("before 2");
            await ana.ShowsAsync("before 1", "before 2");

            await server.DisposeAsync();
            server = null;
            await Expect(ana.Status).ToHaveTextAsync("reconnecting");

            // Sent through another replica while the page's server is down: only the ?since= replay can bring these.
            await using (var other = await ChatServer.StartAsync(settings))
            {
                await PostAsync(other, "while away 1");
                await PostAsync(other, "while away 2");
            }
            server = await ChatServer.StartAsync(settings, port);
            await PostAsync(server, "right after the restart");

            await ana.OnlineAsync();
            string[] all = ["before 1", "before 2", "while away 1", "while away 2", "right after the restart"];
            await ana.ShowsAsync(all);
            await ana.SendAsync("back");
            await ana.ShowsAsync([.. all, "back"]);
            Assert.Equal(["1", "2", "3", "4", "5", "6"], await ana.IdsAsync());

            await ana.Page.ReloadAsync();
            await ana.OnlineAsync();
            await ana.ShowsAsync([.. all, "back"]);
            Assert.Empty(ana.Dialogs);
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ServerRestartWithEmptyMemoryStore_PageShowsTheNewHistoryAfterANote()
    {
        var settings = new Dictionary<string, string> { ["HISTORY_SIZE"] = "1000" };
        ChatServer? server = await ChatServer.StartAsync(settings);
        var port = server.Port;
        try
        {
            await using var profile = await browser.NewUserAsync();
            var ana = await ChatPage.JoinAsync(profile, server.BaseAddress, "Ana");
            foreach (var text in new[] { "old 1", "old 2", "old 3" })
            {
                await ana.SendAsync(text);
            }
            await ana.ShowsAsync("old 1", "old 2", "old 3");

            // Sockets refused until the new, in-memory server holds ids 1..2: below the page's ?since=3, so it replays them all.
            var blocked = true;
            await ana.Page.RouteWebSocketAsync(_ => Volatile.Read(ref blocked), route => route.CloseAsync());
            await server.DisposeAsync();
            server = null;
            await Expect(ana.Status).ToHaveTextAsync("reconnecting");
            server = await ChatServer.StartAsync(settings, port);
            await PostAsync(server, "new 1");
            await PostAsync(server, "new 2");
            Volatile.Write(ref blocked, false);

            await ana.OnlineAsync();
            await ana.ShowsAsync("old 1", "old 2", "old 3", "new 1", "new 2");
            await Expect(ana.Log.Locator("li.note")).ToHaveCountAsync(1);
            await ana.SendAsync("new 3");
            await ana.ShowsAsync("old 1", "old 2", "old 3", "new 1", "new 2", "new 3");
            Assert.Equal(["1", "2", "3", "1", "2", "3"], await ana.IdsAsync());
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static async Task PostAsync(ChatServer server, string text)
    {
        using var response = await server.Http.PostAsJsonAsync("messages", new { text, uid = "ben", title = "Ben" });
        response.EnsureSuccessStatusCode();
    }
}
