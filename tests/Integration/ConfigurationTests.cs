using System.Diagnostics;

namespace DitoChat.IntegrationTests;

/// <summary>A value that does not parse stops the real process at start, naming the variable.</summary>
public class ConfigurationTests
{
    private static readonly string[] Settings =
        ["PORT", "HISTORY_SIZE", "MAX_MESSAGE_BYTES", "RATE_LIMIT_PER_SECOND", "MAX_CONNECTIONS", "ALLOWED_ORIGIN", "REDIS_ADDR", "SEND_QUEUE_SIZE"];

    [Theory]
    [InlineData("PORT", "abc")]
    [InlineData("PORT", "70000")]
    [InlineData("HISTORY_SIZE", "0")]
    [InlineData("HISTORY_SIZE", "100001")]
    [InlineData("MAX_MESSAGE_BYTES", "10")]
    [InlineData("RATE_LIMIT_PER_SECOND", "-1")]
    [InlineData("MAX_CONNECTIONS", "many")]
    [InlineData("ALLOWED_ORIGIN", "notanorigin")]
    [InlineData("ALLOWED_ORIGIN", "https://a.example/path")]
    public async Task BadValueStopsTheProcessNamingTheVariable(string variable, string value)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DitoChat.WebApi.dll"));
        // Should the value wrongly be accepted, the server binds only loopback on a free port until it is killed.
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        foreach (var setting in Settings)
        {
            start.Environment.Remove(setting);
        }
        start.Environment[variable] = value;

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{variable}={value} was accepted: the server kept running. Output: {await stdout}");
        }

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(variable, await stderr, StringComparison.Ordinal);
    }
}
