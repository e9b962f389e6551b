using System.Net;
using DitoChat.IntegrationTests.Support;

namespace DitoChat.IntegrationTests;

/// <summary>Which browser pages may open /ws: ALLOWED_ORIGIN, or same-origin when it is unset.</summary>
public class OriginTests
{
    private static Task<ChatServer> ServerAllowing(string origins) =>
        ChatServer.StartAsync(new Dictionary<string, string> { ["ALLOWED_ORIGIN"] = origins });

    [Theory]
    [InlineData("https://a.example")]
    [InlineData("https://b.example")]
    public async Task ListedOriginIsAccepted(string origin)
    {
        await using var server = await ServerAllowing("https://a.example,https://b.example");

        Assert.Equal(HttpStatusCode.SwitchingProtocols, await Wire.UpgradeStatusAsync(server.WebSocketUri(), origin));
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("http://a.example")]
    [InlineData("https://a.example:8443")]
    [InlineData("https://a.example.evil.example")]
    [InlineData("null")]
    public async Task UnlistedOriginIsRefusedWith403BeforeTheUpgrade(string origin)
    {
        await using var server = await ServerAllowing("https://a.example,https://b.example");

        Assert.Equal(HttpStatusCode.Forbidden, await Wire.UpgradeStatusAsync(server.WebSocketUri(), origin));
        Assert.Equal(0, await server.MetricAsync("ditochat_connections"));
    }

    [Fact]
    public async Task ListedOriginCanChat()
    {
        await using var server = await ServerAllowing("https://a.example");
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri(), origin: "https://a.example");

        await client.SendAsync("hi");

        Assert.Equal("hi", (await client.NextAsync()).Text());
    }

    [Fact]
    public async Task AnyOriginIsAcceptedWithStar()
    {
        await using var server = await ServerAllowing("*");

        Assert.Equal(HttpStatusCode.SwitchingProtocols, await Wire.UpgradeStatusAsync(server.WebSocketUri(), "https://anywhere.example"));
    }

    [Fact]
    public async Task SameOriginIsAcceptedWhenUnset()
    {
        await using var server = await ChatServer.StartAsync();

        Assert.Equal(HttpStatusCode.SwitchingProtocols,
            await Wire.UpgradeStatusAsync(server.WebSocketUri(), $"http://127.0.0.1:{server.Port}"));
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("http://127.0.0.1:1")]
    [InlineData("http://localhost")]
    public async Task OtherOriginIsRefusedWhenUnset(string origin)
    {
        await using var server = await ChatServer.StartAsync();

        Assert.Equal(HttpStatusCode.Forbidden, await Wire.UpgradeStatusAsync(server.WebSocketUri(), origin));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("https://a.example")]
    public async Task ClientWithoutOriginIsAccepted(string? allowed)
    {
        await using var server = allowed is null ? await ChatServer.StartAsync() : await ServerAllowing(allowed);

        Assert.Equal(HttpStatusCode.SwitchingProtocols, await Wire.UpgradeStatusAsync(server.WebSocketUri()));
    }
}
