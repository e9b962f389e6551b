using System.Collections.Concurrent;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DitoChat.IntegrationTests.Browser;

/// <summary>The chat page as one user sees it, driven by keyboard where a person would type.</summary>
public sealed class ChatPage(IPage page)
{
    public IPage Page { get; } = page;

    /// <summary>Every alert/confirm/prompt the page opened (none is expected, ever).</summary>
    public ConcurrentQueue<string> Dialogs { get; } = new();

    public ILocator Log => Page.GetByRole(AriaRole.Log);

    public ILocator Messages => Log.Locator("li.message");

    public ILocator Texts => Messages.Locator(".text");

    public ILocator Input => Page.GetByLabel("Message", new() { Exact = true });

    public ILocator SendButton => Page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true });

    public ILocator Status => Page.GetByRole(AriaRole.Status);

    public ILocator Alert => Page.GetByRole(AriaRole.Alert);

    /// <summary>Opens the page in a new tab of <paramref name="user"/> and joins as <paramref name="name"/>, keyboard only.</summary>
    public static async Task<ChatPage> JoinAsync(IBrowserContext user, Uri address, string name)
    {
        var chat = await OpenAsync(user, address);
        var nameBox = chat.Page.GetByLabel("Your name");
        await Expect(nameBox).ToBeFocusedAsync();
        await chat.Page.Keyboard.TypeAsync(name);
        await chat.Page.Keyboard.PressAsync("Enter");
        await Expect(chat.Input).ToBeFocusedAsync();
        await chat.OnlineAsync();
        return chat;
    }

    /// <summary>Opens the page in a new tab without joining (a returning user goes straight to the chat).</summary>
    public static async Task<ChatPage> OpenAsync(IBrowserContext user, Uri address)
    {
        var chat = new ChatPage(await user.NewPageAsync());
        chat.Page.Dialog += (_, dialog) =>
        {
            chat.Dialogs.Enqueue($"{dialog.Type}: {dialog.Message}");
            _ = dialog.DismissAsync();
        };
        await chat.Page.GotoAsync(address.ToString());
        return chat;
    }

    public Task OnlineAsync() => Expect(Status).ToHaveTextAsync("online");

    /// <summary>Types into the message box (already focused after joining) and presses Enter.</summary>
    public async Task SendAsync(string text)
    {
        await Input.FocusAsync();
        await Input.FillAsync(text);
        await Page.Keyboard.PressAsync("Enter");
    }

    /// <summary>Waits until the log shows exactly these message texts, oldest first.</summary>
    public Task ShowsAsync(params string[] texts) => Expect(Texts).ToHaveTextAsync(texts, new() { UseInnerText = false });

    public Task<string[]> IdsAsync() => Messages.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.id)");
}
