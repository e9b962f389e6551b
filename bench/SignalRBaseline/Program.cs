// The smallest honest SignalR + Redis backplane chat server, the baseline of bench/run.sh:
// the hub keeps the last 1000 messages in a Redis list and broadcasts every message to all.
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR;
using SignalRBaseline;
using StackExchange.Redis;

var redisAddr = Environment.GetEnvironmentVariable("REDIS_ADDR")
    ?? throw new InvalidOperationException("REDIS_ADDR is required");
var port = int.Parse(Environment.GetEnvironmentVariable("PORT") ?? "8081");

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port));
var redis = await ConnectionMultiplexer.ConnectAsync(redisAddr);
builder.Services.AddSingleton<IConnectionMultiplexer>(redis);
builder.Services.AddSignalR()
    .AddJsonProtocol(o => o.PayloadSerializerOptions.TypeInfoResolverChain.Insert(0, BaselineJson.Default))
    .AddStackExchangeRedis(o => o.ConnectionFactory = _ => Task.FromResult<IConnectionMultiplexer>(redis));

var app = builder.Build();
app.UseWebSockets();
app.MapHub<ChatHub>("/chathub");
app.MapGet("/messages", async (IConnectionMultiplexer mux) =>
{
    // The list holds JSON documents already: join them, do not re-encode.
    var items = await mux.GetDatabase().ListRangeAsync(ChatHub.HistoryKey);
    return Results.Text("[" + string.Join(",", items.Select(i => i.ToString())) + "]", "application/json");
});
app.Run();

namespace SignalRBaseline
{
    public sealed record ChatMessage(string Text, string Uid, string Title, string Date);

    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    [JsonSerializable(typeof(ChatMessage))]
    [JsonSerializable(typeof(string))]
    public sealed partial class BaselineJson : JsonSerializerContext;

    public sealed class ChatHub(IConnectionMultiplexer redis) : Hub
    {
        public const string HistoryKey = "baseline:messages";
        private const int HistorySize = 1000;

        public async Task Send(string text, string uid, string title)
        {
            var message = new ChatMessage(text, uid, title, DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"));
            var db = redis.GetDatabase();
            var json = JsonSerializer.Serialize(message, BaselineJson.Default.ChatMessage);
            var push = db.ListLeftPushAsync(HistoryKey, json);
            var trim = db.ListTrimAsync(HistoryKey, 0, HistorySize - 1);
            await Task.WhenAll(push, trim);
            await Clients.All.SendAsync("Receive", message);
        }
    }
}
