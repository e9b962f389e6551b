using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DitoChat.IntegrationTests.Support;

/// <summary>A private redis-server on a free loopback port, without persistence; stopped on dispose.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    private readonly string? _dataDirectory;

    private RedisServer(int port, bool persistent, string? password)
    {
        Port = port;
        Password = password;
        _dataDirectory = persistent ? Directory.CreateTempSubdirectory("ditochat-redis-").FullName : null;
    }

    public int Port { get; }

    /// <summary>When set, clients must AUTH with it (<c>requirepass</c>).</summary>
    public string? Password { get; }

    /// <summary>The <c>REDIS_ADDR</c> for the app.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <param name="persistent">Keep data across <see cref="RestartAsync"/> (append-only file, fsync always).</param>
    /// <param name="password">Require this password (<c>requirepass</c>).</param>
    public static async Task<RedisServer> StartAsync(bool persistent = false, string? password = null)
    {
        var server = new RedisServer(FreePort(), persistent, password);
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts it again on the same port, as after a Redis restart: empty unless persistent.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "redis-server is not installed: run scripts/test.sh (it installs it) or `apt-get install -y redis-server`.");
        List<string> args = ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--protected-mode", "yes"];
        args.AddRange(_dataDirectory is null
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", _dataDirectory]);
        if (Password is not null)
        {
            args.AddRange(["--requirepass", Password]);
        }
        _process = Process.Start(new ProcessStartInfo(binary, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (await PingAsync())
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new InvalidOperationException($"redis-server did not answer on {Address} within 10 s");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_dataDirectory is not null)
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            // Up, whether it answers PONG or asks for the password first.
            return read > 0 && (buffer[0] == (byte)'+' || (Password is not null && buffer[0] == (byte)'-'));
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
