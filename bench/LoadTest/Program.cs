using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DitoChat.LoadTest;

if (args is ["report", var resultsPath, var svgPath]) return Report.Write(resultsPath, svgPath);

// Socket completions run on the epoll threads, without a hop to the thread pool: the tool spends
// far less CPU per delivery, which leaves more of the machine to the server under test.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

Options options;
try
{
    options = Options.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var o = options;
var endpoints = new Dictionary<Uri, IPEndPoint>();
foreach (var url in o.Urls)
{
    var addresses = await Dns.GetHostAddressesAsync(url.Host);
    var address = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses[0];
    if (!IPAddress.IsLoopback(address))
    {
        Console.Error.WriteLine($"{url}: only loopback targets are allowed");
        return 2;
    }
    endpoints[url] = new IPEndPoint(address, url.Port);
}

var tool = Process.GetCurrentProcess();
var clients = new BenchClient?[o.Clients];
var connectErrors = new Dictionary<string, int>();
var connectFailures = 0;
var connected = 0;
var phase = "connect";
var clock = Stopwatch.StartNew();
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

var rssBefore = ProcStats.StatusKib(o.ServerPids, "VmRSS");
long peakRss = rssBefore;
var publishers = new List<Publisher>();

// Live progress on stderr, once a second.
var lastDeliveries = 0L;
var lastSent = 0L;
using var progressTimer = new Timer(_ =>
{
    var deliveries = ThreadStats.Sum(s => s.Deliveries);
    var sent = publishers.Sum(p => (long)p.Sent);
    if (o.ServerPids.Count > 0) peakRss = Math.Max(peakRss, ProcStats.StatusKib(o.ServerPids, "VmRSS"));
    var closed = clients.Count(c => c is { Closed: true });
    if (!o.Quiet)
    {
        Console.Error.WriteLine(FormattableString.Invariant(
            $"[{clock.Elapsed.TotalSeconds,6:F1}s {phase,-8}] clients {Volatile.Read(ref connected)}/{o.Clients} (failed {Volatile.Read(ref connectFailures)}, closed {closed})  sent/s {sent - lastSent,6}  deliveries/s {deliveries - lastDeliveries,9}  errors {ThreadStats.Sum(s => s.Errors)}  dup {ThreadStats.Sum(s => s.Duplicates)}  rss {peakRss / 1024} MiB"));
    }
    lastDeliveries = deliveries;
    lastSent = sent;
}, null, 1000, 1000);

// Connect at a bounded rate, a bounded number of handshakes at a time.
using (var pending = new SemaphoreSlim(o.ConnectConcurrency))
{
    var tasks = new List<Task>(o.Clients);
    var started = Stopwatch.GetTimestamp();
    for (var i = 0; i < o.Clients && !cts.IsCancellationRequested; i++)
    {
        var due = started + (long)(i * Stopwatch.Frequency / o.ConnectRate);
        var wait = due - Stopwatch.GetTimestamp();
        if (wait > 0) await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
        await pending.WaitAsync();
        var id = i;
        tasks.Add(Task.Run(async () =>
        {
            var url = o.Urls[id % o.Urls.Count];
            var client = new BenchClient(id, o.Protocol, o.Publishers);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(15));
                await client.ConnectAsync(url, endpoints[url], timeout.Token);
                clients[id] = client;
                Interlocked.Increment(ref connected);
                _ = client.ReceiveLoopAsync();
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref connectFailures);
                lock (connectErrors) connectErrors[e.Message] = connectErrors.GetValueOrDefault(e.Message) + 1;
            }
            finally
            {
                pending.Release();
            }
        }));
    }
    await Task.WhenAll(tasks);
}
var connectSeconds = clock.Elapsed.TotalSeconds;
foreach (var (message, count) in connectErrors.OrderByDescending(e => e.Value).Take(5))
    Console.Error.WriteLine($"connect failed x{count}: {message}");

for (var p = 0; p < o.Publishers; p++)
{
    if (clients[p] is not { } client)
    {
        Console.Error.WriteLine($"publisher {p} could not connect; giving up");
        return 1;
    }
    var publisher = new Publisher(p, client, o.Protocol, o.MaxInFlight);
    client.OwnPublisher = publisher;
    publishers.Add(publisher);
}
var observers = publishers.Select(p => p.Client).ToArray();
foreach (var publisher in publishers)
{
    publisher.SetObservers(observers);
    publisher.Client.Observed = publishers.ToArray();
}

// SignalR closes a client it has not heard from for 30 s: idle clients ping every 10 s.
var keepAlive = o.Protocol == Protocol.SignalR ? Task.Run(async () =>
{
    var ping = "{\"type\":6}\u001e"u8.ToArray();
    while (!cts.IsCancellationRequested)
    {
        try { await Task.Delay(10_000, cts.Token); } catch (OperationCanceledException) { break; }
        for (var i = o.Publishers; i < clients.Length && !cts.IsCancellationRequested; i++)
        {
            if (clients[i] is not { Closed: false } c) continue;
            try { c.Send(ping); } catch (Exception) { /* the receive loop records the close */ }
            if (i % 500 == 0) await Task.Yield();
        }
    }
}) : Task.CompletedTask;

// Let the server settle after the connection burst before reading its memory.
await Task.Delay(1000);
var rssAfterConnect = ProcStats.StatusKib(o.ServerPids, "VmRSS");
peakRss = Math.Max(peakRss, rssAfterConnect);
var subscribed = clients.Where(c => c is not null).Select(c => c!).ToArray();

// Publish: warm-up, then the measured window.
phase = "warmup";
var interval = o.Rate > 0 ? (long)(Stopwatch.Frequency * o.Publishers / o.Rate) : 0;
var limit = o.Count > 0 ? (o.Count + o.Publishers - 1) / o.Publishers : int.MaxValue;
using var publishing = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
var publishTasks = publishers.Select(p => Task.Run(() => p.RunAsync(interval, limit, publishing.Token))).ToArray();
var allPublished = Task.WhenAll(publishTasks);

await Task.WhenAny(allPublished, Task.Delay(TimeSpan.FromSeconds(o.WarmupSeconds), cts.Token).ContinueWith(_ => { }));
phase = "measure";
var windowStart = Stopwatch.GetTimestamp();
Volatile.Write(ref Window.Start, windowStart);
var cpuStart = ProcStats.CpuSeconds(o.ServerPids);
var redisCpuStart = ProcStats.CpuSeconds(o.RedisPids);
var toolCpuStart = tool.TotalProcessorTime.TotalSeconds;
var deliveriesStart = ThreadStats.Sum(s => s.Deliveries);
var sentStart = publishers.Sum(p => (long)p.Sent);

if (o.Count > 0)
{
    await allPublished;
    await WaitCaughtUp(TimeSpan.FromSeconds(o.DrainSeconds));
}
else
{
    // Ends early only when every publisher has stopped (its connection was lost).
    await Task.WhenAny(allPublished, Task.Delay(TimeSpan.FromSeconds(o.DurationSeconds), cts.Token).ContinueWith(_ => { }));
}

var windowEnd = Stopwatch.GetTimestamp();
Volatile.Write(ref Window.End, windowEnd);
var deliveriesEnd = ThreadStats.Sum(s => s.Deliveries);
var sentEnd = publishers.Sum(p => (long)p.Sent);
var cpuEnd = ProcStats.CpuSeconds(o.ServerPids);
var redisCpuEnd = ProcStats.CpuSeconds(o.RedisPids);
var toolCpuEnd = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
var windowSeconds = (windowEnd - windowStart) / (double)Stopwatch.Frequency;
peakRss = Math.Max(peakRss, ProcStats.StatusKib(o.ServerPids, "VmRSS"));

// Stop publishing and wait for the last messages to arrive everywhere.
phase = "drain";
publishing.Cancel();
await allPublished;
await WaitCaughtUp(TimeSpan.FromSeconds(o.DrainSeconds));
var hwm = ProcStats.StatusKib(o.ServerPids, "VmHWM");
peakRss = Math.Max(peakRss, hwm);
cts.Cancel();
await keepAlive;
foreach (var c in subscribed) c.Abort();
await progressTimer.DisposeAsync();

// Results.
var all = ThreadStats.Snapshot();
var latency = new Histogram();
foreach (var s in all) latency.Add(s.Latency);
var sentPerPublisher = publishers.Select(p => (long)p.Sent).ToArray();
long lost = 0;
foreach (var c in subscribed)
    for (var p = 0; p < sentPerPublisher.Length; p++)
        lost += Math.Max(0, sentPerPublisher[p] - c.Received(p));
var closedByServer = subscribed.Count(c => c.CloseReason is not null && c.CloseReason != "aborted by the tool");
foreach (var (reason, count) in subscribed.Where(c => c.CloseReason is not null && c.CloseReason != "aborted by the tool")
             .GroupBy(c => c.CloseReason!).Select(g => (g.Key, g.Count())).OrderByDescending(g => g.Item2).Take(5))
    Console.Error.WriteLine($"closed x{count}: {reason}");

var windowDeliveries = deliveriesEnd - deliveriesStart;
var serverCpu = cpuEnd - cpuStart;
var result = new Dictionary<string, object?>
{
    ["label"] = o.Label,
    ["protocol"] = o.Protocol.ToString().ToLowerInvariant(),
    ["urls"] = string.Join(",", o.Urls),
    ["clients"] = o.Clients,
    ["connected"] = subscribed.Length,
    ["connect_failures"] = connectFailures,
    ["connect_seconds"] = Round(connectSeconds, 2),
    ["publishers"] = o.Publishers,
    ["rate"] = o.Rate,
    ["window_seconds"] = Round(windowSeconds, 3),
    ["sent_total"] = sentPerPublisher.Sum(),
    ["sent_per_s"] = Round((sentEnd - sentStart) / windowSeconds, 1),
    ["deliveries_total"] = all.Sum(s => s.Deliveries),
    ["deliveries_per_s"] = Round(windowDeliveries / windowSeconds, 0),
    ["expected_deliveries"] = sentPerPublisher.Sum() * subscribed.Length,
    ["lost"] = lost,
    ["duplicated"] = all.Sum(s => s.Duplicates),
    ["out_of_order"] = all.Sum(s => s.OutOfOrder),
    ["errors"] = all.Sum(s => s.Errors),
    ["foreign"] = all.Sum(s => s.Foreign),
    ["closed_by_server"] = closedByServer,
    ["latency_samples"] = latency.Count,
    ["p50_ms"] = Round(latency.Quantile(0.50) / 1000.0, 3),
    ["p90_ms"] = Round(latency.Quantile(0.90) / 1000.0, 3),
    ["p99_ms"] = Round(latency.Quantile(0.99) / 1000.0, 3),
    ["max_ms"] = Round(latency.Max / 1000.0, 3),
    ["server_cpu_s"] = o.ServerPids.Count > 0 ? Round(serverCpu, 2) : null,
    ["server_cpu_us_per_delivery"] = o.ServerPids.Count > 0 && windowDeliveries > 0 ? Round(serverCpu * 1e6 / windowDeliveries, 3) : null,
    ["server_rss_before_kib"] = o.ServerPids.Count > 0 ? rssBefore : null,
    ["server_rss_after_connect_kib"] = o.ServerPids.Count > 0 ? rssAfterConnect : null,
    ["server_peak_rss_kib"] = o.ServerPids.Count > 0 ? peakRss : null,
    ["kib_per_connection"] = o.ServerPids.Count > 0 && subscribed.Length > 0 ? Round((rssAfterConnect - rssBefore) / (double)subscribed.Length, 2) : null,
    ["redis_cpu_s"] = o.RedisPids.Count > 0 ? Round(redisCpuEnd - redisCpuStart, 2) : null,
    ["tool_cpu_s"] = Round(toolCpuEnd - toolCpuStart, 2),
};

var table = new StringBuilder();
table.AppendLine(CultureInfo.InvariantCulture, $"{"metric",-30} value");
foreach (var (key, value) in result)
    table.AppendLine(CultureInfo.InvariantCulture, $"{key,-30} {Format(value)}");
Console.WriteLine(table.ToString());
Console.WriteLine("RESULT " + JsonSerializer.Serialize(result, ResultJson.Default.DictionaryStringObject));
return 0;

// Until every client holds every message sent, or nothing arrived for 3 s (what is missing then is
// lost, not late), or the --drain limit.
async Task WaitCaughtUp(TimeSpan max)
{
    var deadline = Stopwatch.GetTimestamp() + (long)(max.TotalSeconds * Stopwatch.Frequency);
    var lastCount = -1L;
    var lastChange = Stopwatch.GetTimestamp();
    while (Stopwatch.GetTimestamp() < deadline)
    {
        var sent = publishers.Select(p => (long)p.Sent).ToArray();
        if (subscribed.All(c => c.Closed || Enumerable.Range(0, sent.Length).All(p => c.Received(p) >= sent[p]))) return;
        var count = ThreadStats.Sum(s => s.Deliveries);
        if (count != lastCount)
        {
            lastCount = count;
            lastChange = Stopwatch.GetTimestamp();
        }
        else if (Stopwatch.GetElapsedTime(lastChange) > TimeSpan.FromSeconds(3))
        {
            return;
        }
        await Task.Delay(50);
    }
}

static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);

static string Format(object? value) => value switch
{
    null => "-",
    double d => d.ToString("#,0.###", CultureInfo.InvariantCulture),
    long l => l.ToString("#,0", CultureInfo.InvariantCulture),
    int i => i.ToString("#,0", CultureInfo.InvariantCulture),
    _ => value.ToString() ?? "",
};

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object?>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(double))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long))]
[System.Text.Json.Serialization.JsonSerializable(typeof(int))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ResultJson : System.Text.Json.Serialization.JsonSerializerContext;
