using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DitoChat.IntegrationTests.Support;

/// <summary>The real app, in this process, on a loopback port: Kestrel, real sockets, the configured store.</summary>
public sealed class ChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ChatServer(WebApplication app, Uri baseAddress, LogCapture logs)
    {
        _app = app;
        BaseAddress = baseAddress;
        Logs = logs;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary><c>http://127.0.0.1:PORT/</c></summary>
    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>Every log entry of Warning or above the app wrote.</summary>
    public LogCapture Logs { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="settings">Environment-style settings: REDIS_ADDR, ALLOWED_ORIGIN, HISTORY_SIZE, ...</param>
    /// <param name="port">0 for a free port; a fixed one to restart a server where clients expect it.</param>
    public static async Task<ChatServer> StartAsync(IReadOnlyDictionary<string, string>? settings = null, int port = 0)
    {
        var args = new List<string> { $"--urls=http://127.0.0.1:{port}" };
        args.AddRange((settings ?? new Dictionary<string, string>()).Select(s => $"--{s.Key}={s.Value}"));
        var logs = new LogCapture();
        var app = global::Program.Build([.. args], builder =>
        {
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new ChatServer(app, new Uri(address + "/"), logs);
    }

    public int Port => BaseAddress.Port;

    public Uri WebSocketUri(string query = "") => new($"ws://127.0.0.1:{Port}/ws{query}");

    /// <summary>Stops as on SIGTERM: sockets get 1001, in-flight sends finish.</summary>
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record LogEntry(LogLevel Level, string Category, string Message, Exception? Exception);

public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public IEnumerable<LogEntry> Errors => _entries.Where(e => e.Level >= LogLevel.Error);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture._entries.Enqueue(new LogEntry(logLevel, category, formatter(state, exception), exception));
    }
}
