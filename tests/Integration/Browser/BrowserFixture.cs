using Microsoft.Playwright;

namespace DitoChat.IntegrationTests.Browser;

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}

/// <summary>
/// One headless Debian Chromium for every browser test, driven by Playwright's driver that ships inside the
/// Microsoft.Playwright package (copied to the output folder by its build targets): nothing is downloaded.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The longest any single browser wait may take.</summary>
    public const float WaitMs = 15_000;

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser did not start");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"Chromium is not installed at {ChromiumPath}: run scripts/install-chromium.sh as root "
                + "(it runs `apt-get install -y chromium`). The browser tests never download a browser.");
        }
        Assertions.SetDefaultExpectTimeout(WaitMs);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 30_000,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    /// <summary>A fresh browser profile (its own localStorage): one user.</summary>
    public async Task<IBrowserContext> NewUserAsync(int width = 800, int height = 600)
    {
        var context = await Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = width, Height = height },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(WaitMs);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
    }

    /// <summary>The repository root (where DitoChat.sln is), for artifacts.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DitoChat.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"DitoChat.sln not found above {AppContext.BaseDirectory}");
    }
}
