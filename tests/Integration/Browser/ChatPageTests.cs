using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using DitoChat.IntegrationTests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DitoChat.IntegrationTests.Browser;

/// <summary>The page served at <c>/</c>, in headless Chromium, against the real app on loopback.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ChatPageTests(BrowserFixture browser)
{
    private static readonly Dictionary<string, string> Memory = new() { ["HISTORY_SIZE"] = "1000" };

    [Fact]
    public async Task TwoUsers_SeeEachOthersMessagesLiveAndInOrder()
    {
        await using var server = await ChatServer.StartAsync(Memory);
        await using var anaProfile = await browser.NewUserAsync(420, 560);
        await using var benProfile = await browser.NewUserAsync(420, 560);
        var ana = await ChatPage.JoinAsync(anaProfile, server.BaseAddress, "Ana");
        var ben = await ChatPage.JoinAsync(benProfile, server.BaseAddress, "Ben");

        await ana.SendAsync("Hi Ben! Is the new chat page up?");
        await ben.ShowsAsync("Hi Ben! Is the new chat page up?");
        await ben.SendAsync("Hi Ana, it is: history, live messages and reconnects.");
        await ana.ShowsAsync("Hi Ben! Is the new chat page up?", "Hi Ana, it is: history, live messages and reconnects.");
        await ana.SendAsync("And it works on a phone too.");
        await ana.SendAsync("Até já!");
        string[] conversation =
        [
            "Hi Ben! Is the new chat page up?", "Hi Ana, it is: history, live messages and reconnects.",
            "And it works on a phone too.", "Até já!",
        ];
        await ana.ShowsAsync(conversation);
        await ben.ShowsAsync(conversation);

        // Own messages on the right, each with its sender and a local time.
        await Expect(ana.Messages.Nth(0)).ToHaveClassAsync("message own");
        await Expect(ana.Messages.Nth(1)).ToHaveClassAsync("message");
        await Expect(ben.Messages.Nth(0)).ToHaveClassAsync("message");
        await Expect(ben.Messages.Nth(1)).ToHaveClassAsync("message own");
        await Expect(ben.Messages.Locator(".name")).ToHaveTextAsync(["Ana", "Ben", "Ana", "Ana"]);
        await Expect(ben.Messages.Locator("time").First).ToHaveTextAsync(new Regex(@"^\d\d:\d\d$"));
        Assert.Equal(await ana.IdsAsync(), await ben.IdsAsync());

        await SaveSideBySideAsync(Path.Combine(BrowserFixture.RepositoryRoot(), "artifacts", "two-users.png"), ana, ben);
        Assert.Empty(ana.Dialogs);
        Assert.Empty(ben.Dialogs);
    }

    [Fact]
    public async Task Reload_ShowsHistoryAndRemembersTheUser()
    {
        await using var server = await ChatServer.StartAsync(Memory);
        await using var profile = await browser.NewUserAsync();
        var ana = await ChatPage.JoinAsync(profile, server.BaseAddress, "Ana");
        await ana.SendAsync("first");
        await ana.SendAsync("second");
        await ana.ShowsAsync("first", "second");

        await ana.Page.ReloadAsync();

        await ana.OnlineAsync();
        await Expect(ana.Page.GetByLabel("Your name")).ToBeHiddenAsync();
        await ana.ShowsAsync("first", "second");
        await Expect(ana.Messages.Nth(1)).ToHaveClassAsync("message own");
        var user = await ana.Page.EvaluateAsync<Dictionary<string, string>>("() => JSON.parse(localStorage.getItem('user'))");
        Assert.Equal("Ana", user["name"]);
        Assert.False(string.IsNullOrEmpty(user["uid"]));

        // A new name keeps the uid: earlier messages stay one's own.
        await ana.Page.GetByRole(AriaRole.Button, new() { Name = "change name" }).ClickAsync();
        await ana.Page.GetByLabel("Your name").FillAsync("Ana Lima");
        await ana.Page.Keyboard.PressAsync("Enter");
        await ana.SendAsync("third");
        await Expect(ana.Messages.Locator(".name")).ToHaveTextAsync(["Ana", "Ana", "Ana Lima"]);
        await Expect(ana.Log.Locator("li.message.own")).ToHaveCountAsync(3);
    }

    [Fact]
    public async Task BlankName_JoinsAsGuest()
    {
        await using var server = await ChatServer.StartAsync(Memory);
        await using var profile = await browser.NewUserAsync();
        var guest = await ChatPage.JoinAsync(profile, server.BaseAddress, "");
        await guest.SendAsync("who am I?");
        await Expect(guest.Messages.Locator(".name")).ToHaveTextAsync(["Guest"]);
        var stored = await server.Http.GetFromJsonAsync<List<Dictionary<string, object>>>("messages");
        Assert.Equal("Guest", stored![0]["title"].ToString());
    }

    [Fact]
    public async Task HtmlInAMessage_IsShownAsText()
    {
        const string Attack = "<img src=x onerror=alert(1)>";
        await using var server = await ChatServer.StartAsync(Memory);
        // One copy from history, one live.
        using var before = await server.Http.PostAsJsonAsync("messages", new { text = Attack, uid = "mallory", title = "<b>Mallory</b>" });
        Assert.Equal(HttpStatusCode.Created, before.StatusCode);
        await using var anaProfile = await browser.NewUserAsync();
        await using var benProfile = await browser.NewUserAsync();
        var ana = await ChatPage.JoinAsync(anaProfile, server.BaseAddress, "Ana");
        var ben = await ChatPage.JoinAsync(benProfile, server.BaseAddress, "Ben");

        await ana.SendAsync(Attack);

        await ana.ShowsAsync(Attack, Attack);
        await ben.ShowsAsync(Attack, Attack);
        await Expect(ben.Messages.Locator(".name").First).ToHaveTextAsync("<b>Mallory</b>");
        foreach (var chat in new[] { ana, ben })
        {
            await Expect(chat.Log.Locator("img, b")).ToHaveCountAsync(0);
            Assert.Empty(chat.Dialogs);
        }
    }

    [Fact]
    public async Task EmptyMessage_CannotBeSent()
    {
        await using var server = await ChatServer.StartAsync(Memory);
        await using var profile = await browser.NewUserAsync();
        var ana = await ChatPage.JoinAsync(profile, server.BaseAddress, "Ana");

        await Expect(ana.SendButton).ToBeDisabledAsync();
        await ana.SendAsync("   \n  ");
        await Expect(ana.SendButton).ToBeDisabledAsync();
        await ana.Input.FillAsync("x");
        await Expect(ana.SendButton).ToBeEnabledAsync();
        await ana.SendAsync("");
        await ana.SendAsync("the only message");

        await ana.ShowsAsync("the only message");
        await Expect(ana.Input).ToHaveValueAsync("");
        await Expect(ana.Input).ToHaveAttributeAsync("maxlength", "2000");
        var stored = await server.Http.GetFromJsonAsync<List<Dictionary<string, object>>>("messages");
        Assert.Single(stored!);
    }

    [Fact]
    public async Task ServerErrorObject_IsShownNextToTheInput()
    {
        // A bucket of 2 that refills at 1/s: the third message in a burst is dropped with "rate_limited".
        await using var server = await ChatServer.StartAsync(new Dictionary<string, string> { ["RATE_LIMIT_PER_SECOND"] = "1" });
        await using var profile = await browser.NewUserAsync();
        var ana = await ChatPage.JoinAsync(profile, server.BaseAddress, "Ana");
        await Expect(ana.Alert).ToBeHiddenAsync();

        for (var i = 1; i <= 4; i++)
        {
            await ana.SendAsync($"burst {i}");
        }

        await Expect(ana.Alert).ToBeVisibleAsync();
        await Expect(ana.Alert).ToContainTextAsync("too fast");
        Assert.True(await ana.Texts.CountAsync() < 4);

        // The next successful send clears it.
        await Task.Delay(2_100);
        await ana.SendAsync("calm again");
        await Expect(ana.Texts.Last).ToHaveTextAsync("calm again");
        await Expect(ana.Alert).ToBeHiddenAsync();
    }

    [Fact]
    public async Task PhoneWidth_HasNoHorizontalOverflow()
    {
        await using var server = await ChatServer.StartAsync(Memory);
        using var posted = await server.Http.PostAsJsonAsync("messages",
            new { text = new string('w', 300) + " " + string.Join(' ', Enumerable.Repeat("word", 60)), uid = "x", title = new string('N', 64) });
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        await using var profile = await browser.NewUserAsync(360, 640);
        var ana = await ChatPage.JoinAsync(profile, server.BaseAddress, "Ana with a rather long display name");
        await ana.SendAsync(new string('m', 200));
        await Expect(ana.Messages).ToHaveCountAsync(2);

        var overflow = await ana.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.Equal(0, overflow);
        foreach (var part in new[] { ana.Input, ana.SendButton, ana.Status, ana.Messages.Nth(0), ana.Messages.Nth(1) })
        {
            var box = await part.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.InRange(box.X, 0, 360);
            Assert.InRange(box.X + box.Width, 0, 360);
        }
        var sendBox = await ana.SendButton.BoundingBoxAsync();
        Assert.InRange(sendBox!.Y + sendBox.Height, 0, 640);
        await ana.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.RepositoryRoot(), "artifacts", "phone.png") });
    }

    [Fact]
    public async Task ReaderWhoScrolledUp_IsNotPulledDown()
    {
        await using var server = await ChatServer.StartAsync(Memory);
        for (var i = 1; i <= 40; i++)
        {
            using var response = await server.Http.PostAsJsonAsync("messages", new { text = $"old {i}", uid = "x", title = "Bot" });
            response.EnsureSuccessStatusCode();
        }
        await using var profile = await browser.NewUserAsync(480, 480);
        var ana = await ChatPage.JoinAsync(profile, server.BaseAddress, "Ana");
        await Expect(ana.Messages).ToHaveCountAsync(40);
        await Expect(ana.Messages.Last).ToBeInViewportAsync();

        (await server.Http.PostAsJsonAsync("messages", new { text = "while at the bottom", uid = "x", title = "Bot" })).Dispose();
        await Expect(ana.Messages.Last).ToHaveTextAsync(new Regex("while at the bottom"));
        await Expect(ana.Messages.Last).ToBeInViewportAsync();

        await ana.Log.EvaluateAsync("log => log.scrollTop = 0");
        (await server.Http.PostAsJsonAsync("messages", new { text = "while reading old ones", uid = "x", title = "Bot" })).Dispose();
        var jump = ana.Page.GetByRole(AriaRole.Button, new() { Name = "New messages" });
        await Expect(jump).ToBeVisibleAsync();
        Assert.Equal(0, await ana.Log.EvaluateAsync<int>("log => log.scrollTop"));
        await Expect(ana.Messages.First).ToBeInViewportAsync();

        await jump.ClickAsync();
        await Expect(ana.Messages.Last).ToBeInViewportAsync();
        await Expect(jump).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Page_IsAccessible()
    {
        await using var server = await ChatServer.StartAsync(Memory);
        await using var profile = await browser.NewUserAsync();
        var ana = await ChatPage.JoinAsync(profile, server.BaseAddress, "Ana");

        await Expect(ana.Log).ToHaveAttributeAsync("aria-live", "polite");
        await Expect(ana.Log).ToHaveAccessibleNameAsync("Messages");
        await Expect(ana.Input).ToBeFocusedAsync();
        // Focus is visible: the focused box gets an outline.
        await ana.Page.Keyboard.PressAsync("Tab");
        await ana.Page.Keyboard.PressAsync("Shift+Tab");
        var outline = await ana.Input.EvaluateAsync<string>("e => getComputedStyle(e).outlineStyle");
        Assert.Equal("solid", outline);
        // Shift+Enter adds a line instead of sending.
        await ana.Page.Keyboard.TypeAsync("two");
        await ana.Page.Keyboard.PressAsync("Shift+Enter");
        await ana.Page.Keyboard.TypeAsync("lines");
        await ana.Page.Keyboard.PressAsync("Enter");
        await ana.ShowsAsync("two\nlines");
    }

    /// <summary>Both users' views in one picture: the two screenshots laid out by the browser itself.</summary>
    private async Task SaveSideBySideAsync(string path, params ChatPage[] views)
    {
        var images = new List<string>();
        foreach (var view in views)
        {
            images.Add($"<img src=\"data:image/png;base64,{Convert.ToBase64String(await view.Page.ScreenshotAsync())}\">");
        }
        const int Gap = 12;
        var size = views[0].Page.ViewportSize!;
        await using var canvas = await browser.NewUserAsync(
            views.Length * (size.Width + Gap) + Gap, size.Height + 2 * Gap);
        var page = await canvas.NewPageAsync();
        await page.SetContentAsync(
            $"<body style=\"margin:0;padding:{Gap}px;display:flex;gap:{Gap}px;background:#8a939c\">"
            + string.Concat(images) + "</body>");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new() { Path = path });
    }
}
