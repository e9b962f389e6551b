using System.Globalization;

namespace DitoChat.LoadTest;

public enum Protocol { Dito, SignalR }

public sealed class Options
{
    public Protocol Protocol { get; private set; } = Protocol.Dito;
    public IReadOnlyList<Uri> Urls { get; private set; } = [new Uri("ws://127.0.0.1:8080")];
    public int Clients { get; private set; } = 100;
    public int Publishers { get; private set; } = 4;
    public double Rate { get; private set; } = 200;
    public int MaxInFlight { get; private set; } = 16;
    public double WarmupSeconds { get; private set; } = 3;
    public double DurationSeconds { get; private set; } = 10;
    public double DrainSeconds { get; private set; } = 30;
    public int Count { get; private set; }
    public double ConnectRate { get; private set; } = 500;
    public int ConnectConcurrency { get; private set; } = 128;
    public IReadOnlyList<int> ServerPids { get; private set; } = [];
    public IReadOnlyList<int> RedisPids { get; private set; } = [];
    public string Label { get; private set; } = "";
    public bool Quiet { get; private set; }

    public const string Usage = """
        DitoChat.LoadTest: WebSocket fan-out load generator for DitoChat and SignalR.
          --protocol dito|signalr   wire protocol (dito: /ws, signalr: JSON hub protocol at /chathub)
          --urls ws://h:p[,ws://h:p]  servers; clients and publishers are split round-robin
          --clients N               simulated clients (the first P of them publish)      [100]
          --publishers P            publishing clients                                  [4]
          --rate R                  total messages/s over all publishers; 0 = as fast as
                                    possible, bounded by --max-inflight per publisher    [200]
          --max-inflight K          messages a publisher may have sent that some publishing
                                    client (on any server) has not received yet          [16]
          --warmup S  --duration S  warm-up, then the measured window, in seconds        [3, 10]
          --drain S                 after publishing stops, wait for the last messages until
                                    all arrived, none came for 3 s, or S seconds passed   [30]
          --count N                 send N messages in total and stop (fills history)
          --connect-rate C          new connections per second                            [500]
          --server-pids a,b         measure these processes' CPU and RSS (/proc)
          --redis-pid a             report this process's CPU (the Redis server) too
          --label TEXT              copied into the RESULT line
          --quiet                   no progress line
        """;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var key = args[i];
            if (key is "-h" or "--help") throw new ArgumentException(Usage);
            if (key == "--quiet") { o.Quiet = true; continue; }
            if (i + 1 >= args.Length) throw new ArgumentException($"{key} needs a value\n{Usage}");
            var value = args[++i];
            switch (key)
            {
                case "--protocol":
                    o.Protocol = value.ToLowerInvariant() switch
                    {
                        "dito" => Protocol.Dito,
                        "signalr" => Protocol.SignalR,
                        _ => throw new ArgumentException($"--protocol: dito or signalr, not '{value}'"),
                    };
                    break;
                case "--urls": case "--url":
                    o.Urls = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(u => new Uri(u)).ToArray();
                    break;
                case "--clients": o.Clients = PositiveInt(key, value); break;
                case "--publishers": o.Publishers = PositiveInt(key, value); break;
                case "--rate": o.Rate = Double(key, value); break;
                case "--max-inflight": o.MaxInFlight = PositiveInt(key, value); break;
                case "--warmup": o.WarmupSeconds = Double(key, value); break;
                case "--duration": o.DurationSeconds = Double(key, value); break;
                case "--drain": o.DrainSeconds = Double(key, value); break;
                case "--count": o.Count = PositiveInt(key, value); break;
                case "--connect-rate": o.ConnectRate = Double(key, value); break;
                case "--connect-concurrency": o.ConnectConcurrency = PositiveInt(key, value); break;
                case "--server-pids": case "--server-pid": o.ServerPids = Pids(value); break;
                case "--redis-pid": case "--redis-pids": o.RedisPids = Pids(value); break;
                case "--label": o.Label = value; break;
                default: throw new ArgumentException($"unknown option {key}\n{Usage}");
            }
        }
        if (o.Publishers > o.Clients) throw new ArgumentException("--publishers must not exceed --clients");
        return o;
    }

    private static int PositiveInt(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : throw new ArgumentException($"{key}: a positive integer, not '{value}'");

    private static double Double(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0
            ? d : throw new ArgumentException($"{key}: a non-negative number, not '{value}'");

    private static int[] Pids(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => PositiveInt("pid", p)).ToArray();
}
