using System.Diagnostics;
using System.Text;

namespace DitoChat.LoadTest;

/// <summary>Sends "p{id}:{seq}:{ticks}" at a fixed rate, or as fast as the in-flight cap allows. A message
/// is in flight until every publishing client (the observers, spread over all servers) has received it,
/// so with several replicas the slowest one sets the pace rather than the publisher's own.</summary>
public sealed class Publisher(int id, BenchClient client, Protocol protocol, int maxInFlight)
{
    private readonly SemaphoreSlim _progress = new(0);
    private readonly CancellationTokenSource _stop = new();
    private BenchClient[] _observers = [];
    private int _sent;
    private int _errors;

    public int Id { get; } = id;
    public BenchClient Client { get; } = client;
    public int Sent => Volatile.Read(ref _sent);

    public void SetObservers(IEnumerable<BenchClient> observers) => _observers = observers.ToArray();

    public void Stop()
    {
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>An observer received one of this publisher's messages.</summary>
    public void OnObserved()
    {
        if (_progress.CurrentCount == 0) _progress.Release();
    }

    /// <summary>The server answered this publisher with an error: that message will never arrive.</summary>
    public void OnError()
    {
        Interlocked.Increment(ref _errors);
        OnObserved();
    }

    private int InFlight()
    {
        var slowest = int.MaxValue;
        foreach (var observer in _observers)
        {
            if (!observer.Closed) slowest = Math.Min(slowest, observer.NextExpected(Id));
        }
        return slowest == int.MaxValue ? 0 : Sent - Volatile.Read(ref _errors) - slowest;
    }

    /// <param name="interval">Stopwatch ticks between two messages; 0 = as fast as possible.</param>
    /// <param name="limit">Messages to send at most; int.MaxValue = until stopped.</param>
    public async Task RunAsync(long interval, int limit, CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        var token = linked.Token;
        var start = Stopwatch.GetTimestamp();
        try
        {
            for (var seq = 0; seq < limit; seq++)
            {
                if (interval > 0)
                {
                    var due = start + seq * interval;
                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait > 0) await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), token);
                }
                while (InFlight() >= maxInFlight)
                {
                    // Re-checked at least every 10 ms, in case a wake-up was missed.
                    await _progress.WaitAsync(10, token);
                }
                var text = $"p{Id}:{seq}:{Stopwatch.GetTimestamp()}";
                var frame = protocol == Protocol.Dito
                    ? $"{{\"text\":\"{text}\",\"uid\":\"bench-p{Id}\",\"title\":\"bench\"}}"
                    : $"{{\"type\":1,\"target\":\"Send\",\"arguments\":[\"{text}\",\"bench-p{Id}\",\"bench\"]}}\u001e";
                Client.Send(Encoding.UTF8.GetBytes(frame));
                Interlocked.Increment(ref _sent);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
        {
            Console.Error.WriteLine($"publisher {Id}: send failed: {e.Message}");
        }
    }
}
