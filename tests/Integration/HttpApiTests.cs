using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DitoChat.IntegrationTests.Support;

namespace DitoChat.IntegrationTests;

/// <summary>GET/POST /messages, CORS, probes, metrics and the OpenAPI document, in the in-memory mode.</summary>
public class HttpApiTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=abc")]
    [InlineData("?limit=1001")]
    [InlineData("?limit=-1")]
    [InlineData("?limit=99999999999")]
    [InlineData("?before=-5")]
    [InlineData("?before=0")]
    [InlineData("?before=1.5")]
    [InlineData("?limit=1&limit=2")]
    public async Task BadHistoryParameterGets400ProblemDetails(string query)
    {
        await using var server = await ChatServer.StartAsync();

        using var response = await server.Http.GetAsync(new Uri("messages" + query, UriKind.Relative));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task EmptyHistoryIsAnEmptyJsonArray()
    {
        await using var server = await ChatServer.StartAsync();

        using var response = await server.Http.GetAsync(new Uri("messages", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PostStoresReturns201AndBroadcastsToSockets()
    {
        await using var server = await ChatServer.StartAsync();
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri());

        using var response = await server.Http.PostAsync(new Uri("messages", UriKind.Relative),
            Json("""{"text":" from http ","uid":"h1","title":"Curl","date":"1999-01-01T00:00:00.000Z"}"""));
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var broadcast = await client.NextAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Wire.AssertMessage(created);
        Assert.Equal(1, created.Id());
        Assert.Equal("from http", created.Text());
        Assert.DoesNotContain("1999", created.GetProperty("date").GetString(), StringComparison.Ordinal);
        Assert.Equal(created.GetRawText(), broadcast.GetRawText());
        Assert.Equal(created.GetRawText(), JsonSerializer.Serialize(Assert.Single(await server.GetMessagesAsync())));
    }

    [Theory]
    [InlineData("""{"text":""}""")]
    [InlineData("""{"text":"   "}""")]
    [InlineData("""{"uid":"u"}""")]
    [InlineData("""{"text":5}""")]
    [InlineData("""{"text":"hi","uid":{}}""")]
    [InlineData("""["text"]""")]
    [InlineData("""{"text":"half \ud800 a pair"}""")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task InvalidPostBodyGets400ProblemDetailsAndIsNeitherStoredNorBroadcast(string body)
    {
        await using var server = await ChatServer.StartAsync();
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri());

        using var response = await server.Http.PostAsync(new Uri("messages", UriKind.Relative), Json(body));
        using var valid = await server.Http.PostAsync(new Uri("messages", UriKind.Relative), Json("""{"text":"valid"}"""));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("valid", (await client.NextAsync()).Text());
        Assert.Equal(["valid"], (await server.GetMessagesAsync()).Select(m => m.Text()));
    }

    [Fact]
    public async Task PostWithoutJsonContentTypeGets415()
    {
        await using var server = await ChatServer.StartAsync();

        using var response = await server.Http.PostAsync(new Uri("messages", UriKind.Relative),
            new StringContent("""{"text":"hi"}""", Encoding.UTF8, "text/plain"));

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Empty(await server.GetMessagesAsync());
    }

    [Fact]
    public async Task PostOverMaxMessageBytesGets413()
    {
        await using var server = await ChatServer.StartAsync();
        var body = JsonSerializer.Serialize(new { text = "x", padding = new string('p', 5000) });

        using var response = await server.Http.PostAsync(new Uri("messages", UriKind.Relative), Json(body));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(await server.GetMessagesAsync());
    }

    [Fact]
    public async Task PostBeyondThePerAddressRateGets429()
    {
        await using var server = await ChatServer.StartAsync(new Dictionary<string, string> { ["RATE_LIMIT_PER_SECOND"] = "1" });

        var statuses = new List<HttpStatusCode>();
        for (var n = 0; n < 5; n++)
        {
            using var response = await server.Http.PostAsync(new Uri("messages", UriKind.Relative), Json($$"""{"text":"n{{n}}"}"""));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created], statuses.Take(2));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(statuses.Count(s => s == HttpStatusCode.Created), (await server.GetMessagesAsync()).Count);
    }

    private static async Task<ChatServer> ServerAllowing(string origins) =>
        await ChatServer.StartAsync(new Dictionary<string, string> { ["ALLOWED_ORIGIN"] = origins });

    [Theory]
    [InlineData("https://a.example")]
    [InlineData("https://b.example:8443")]
    public async Task CorsEchoesAnAllowedOriginExactly(string origin)
    {
        await using var server = await ServerAllowing("https://a.example, https://b.example:8443");
        using var request = new HttpRequestMessage(HttpMethod.Get, "messages");
        request.Headers.Add("Origin", origin);

        using var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([origin], response.Headers.GetValues("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task CorsPreflightAnswersAnAllowedOrigin()
    {
        await using var server = await ServerAllowing("https://a.example,https://b.example");
        using var request = new HttpRequestMessage(HttpMethod.Options, "messages");
        request.Headers.Add("Origin", "https://b.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");

        using var response = await server.Http.SendAsync(request);

        Assert.True(response.IsSuccessStatusCode, $"preflight got {response.StatusCode}");
        Assert.Equal(["https://b.example"], response.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Contains("POST", string.Join(",", response.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("OPTIONS")]
    public async Task CorsGivesAnotherOriginNoAllowOriginHeader(string method)
    {
        await using var server = await ServerAllowing("https://a.example");
        using var request = new HttpRequestMessage(new HttpMethod(method), "messages");
        request.Headers.Add("Origin", "https://evil.example");
        request.Headers.Add("Access-Control-Request-Method", "GET");

        using var response = await server.Http.SendAsync(request);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("health/live")]
    [InlineData("health/ready")]
    public async Task HealthProbesAnswer200InMemoryMode(string path)
    {
        await using var server = await ChatServer.StartAsync();

        using var response = await server.Http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task MetricsNameEveryContractMetricAndCountAcceptedAndRejected()
    {
        await using var server = await ChatServer.StartAsync();
        await using var client = await ChatClient.ConnectAsync(server.WebSocketUri());
        await client.SendAsync("one");
        await client.SendRawAsync("""{"text":""}""");
        await client.SendAsync("two");
        await client.NextAsync(3);

        using var response = await server.Http.GetAsync(new Uri("metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        var samples = await server.MetricsAsync();

        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        foreach (var type in new[]
        {
            "ditochat_connections gauge", "ditochat_messages_accepted_total counter",
            "ditochat_messages_rejected_total counter", "ditochat_messages_delivered_total counter",
            "ditochat_slow_consumers_total counter", "ditochat_store_seconds histogram",
        })
        {
            Assert.Contains($"# TYPE {type}\n", text, StringComparison.Ordinal);
        }
        Assert.Equal(1, samples["ditochat_connections"]);
        Assert.Equal(2, samples["ditochat_messages_accepted_total"]);
        Assert.Equal(1, samples["ditochat_messages_rejected_total{reason=\"invalid_message\"}"]);
        Assert.Equal(2, samples["ditochat_store_seconds_count"]);
        Assert.True(samples["ditochat_messages_delivered_total"] >= 2);
    }

    [Fact]
    public async Task OpenApiDocumentDescribesMessages()
    {
        await using var server = await ChatServer.StartAsync();

        using var response = await server.Http.GetAsync(new Uri("openapi/v1.json", UriKind.Relative));
        var document = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var messages = document.GetProperty("paths").GetProperty("/messages");
        Assert.True(messages.TryGetProperty("get", out _));
        Assert.True(messages.TryGetProperty("post", out _));
    }

    [Fact]
    public async Task WebSocketPathAnswersPlainHttpWith400()
    {
        await using var server = await ChatServer.StartAsync();

        using var response = await server.Http.GetAsync(new Uri("ws", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task HistoryAcceptsLimitOfAThousand()
    {
        await using var server = await ChatServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "messages?limit=1000&before=1");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
