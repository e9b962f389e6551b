using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace DitoChat.Application;

/// <summary>The service's counters, rendered as Prometheus text by <c>GET /metrics</c>.</summary>
public sealed class ChatMetrics
{
    private static readonly double[] StoreBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly ConcurrentDictionary<string, StrongBox> _rejected = new(StringComparer.Ordinal);
    private readonly long[] _storeBucketCounts = new long[StoreBuckets.Length];
    private readonly object _storeLock = new();
    private long _connections;
    private long _accepted;
    private long _delivered;
    private long _slowConsumers;
    private long _storeCount;
    private double _storeSum;

    public long Connections => Interlocked.Read(ref _connections);

    public void ConnectionOpened() => Interlocked.Increment(ref _connections);
    public void ConnectionClosed() => Interlocked.Decrement(ref _connections);
    public void CountAccepted() => Interlocked.Increment(ref _accepted);
    public void CountDelivered(int count) => Interlocked.Add(ref _delivered, count);
    public void CountSlowConsumer() => Interlocked.Increment(ref _slowConsumers);

    /// <summary>Counts one rejected input; <paramref name="reason"/> is a fixed word such as <c>invalid_message</c>.</summary>
    public void CountRejected(string reason) =>
        Interlocked.Increment(ref _rejected.GetOrAdd(reason, _ => new StrongBox()).Value);

    public void ObserveStore(TimeSpan elapsed)
    {
        var seconds = elapsed.TotalSeconds;
        lock (_storeLock)
        {
            _storeCount++;
            _storeSum += seconds;
            for (var i = 0; i < StoreBuckets.Length; i++)
            {
                if (seconds <= StoreBuckets[i])
                {
                    _storeBucketCounts[i]++;
                }
            }
        }
    }

    public string ToPrometheusText()
    {
        var text = new StringBuilder();
        Metric(text, "ditochat_connections", "gauge", "Open WebSocket connections.", Connections);
        Metric(text, "ditochat_messages_accepted_total", "counter", "Messages stored and broadcast.", Interlocked.Read(ref _accepted));
        text.Append("# HELP ditochat_messages_rejected_total Inputs refused, by reason.\n# TYPE ditochat_messages_rejected_total counter\n");
        foreach (var (reason, count) in _rejected.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"ditochat_messages_rejected_total{{reason=\"{reason}\"}} {Interlocked.Read(ref count.Value)}\n");
        }
        Metric(text, "ditochat_messages_delivered_total", "counter", "Messages written to sockets.", Interlocked.Read(ref _delivered));
        Metric(text, "ditochat_slow_consumers_total", "counter", "Connections closed because their queue was full.", Interlocked.Read(ref _slowConsumers));
        text.Append("# HELP ditochat_store_seconds Time to store (and publish) one message.\n# TYPE ditochat_store_seconds histogram\n");
        lock (_storeLock)
        {
            for (var i = 0; i < StoreBuckets.Length; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"ditochat_store_seconds_bucket{{le=\"{StoreBuckets[i]}\"}} {_storeBucketCounts[i]}\n");
            }
            text.Append(CultureInfo.InvariantCulture, $"ditochat_store_seconds_bucket{{le=\"+Inf\"}} {_storeCount}\n");
            text.Append(CultureInfo.InvariantCulture, $"ditochat_store_seconds_sum {_storeSum}\n");
            text.Append(CultureInfo.InvariantCulture, $"ditochat_store_seconds_count {_storeCount}\n");
        }
        return text.ToString();
    }

    private static void Metric(StringBuilder text, string name, string type, string help, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");

    private sealed class StrongBox
    {
        public long Value;
    }
}
