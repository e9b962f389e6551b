using System.Globalization;
using DitoChat.Application;

namespace DitoChat.UnitTests;

public class ChatMetricsToPrometheusText
{
    private readonly ChatMetrics _metrics = new();

    /// <summary>Sample lines ("name{labels} value") by their name and labels.</summary>
    private Dictionary<string, double> Samples()
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in _metrics.ToPrometheusText().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }
            var space = line.LastIndexOf(' ');
            samples.Add(line[..space], double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture));
        }
        return samples;
    }

    [Fact]
    public void ReportsEveryContractMetricWhenNothingHappened()
    {
        var text = _metrics.ToPrometheusText();

        foreach (var type in new[]
        {
            "ditochat_connections gauge", "ditochat_messages_accepted_total counter",
            "ditochat_messages_rejected_total counter", "ditochat_messages_delivered_total counter",
            "ditochat_slow_consumers_total counter", "ditochat_store_seconds histogram",
        })
        {
            Assert.Contains($"# TYPE {type}\n", text, StringComparison.Ordinal);
        }
        Assert.Equal(0, Samples()["ditochat_messages_accepted_total"]);
    }

    [Fact]
    public void CountsConnectionsAndMessages()
    {
        _metrics.ConnectionOpened();
        _metrics.ConnectionOpened();
        _metrics.ConnectionOpened();
        _metrics.ConnectionClosed();
        _metrics.CountAccepted();
        _metrics.CountAccepted();
        _metrics.CountDelivered(5);
        _metrics.CountDelivered(3);
        _metrics.CountSlowConsumer();

        var samples = Samples();

        Assert.Equal(2, samples["ditochat_connections"]);
        Assert.Equal(2, samples["ditochat_messages_accepted_total"]);
        Assert.Equal(8, samples["ditochat_messages_delivered_total"]);
        Assert.Equal(1, samples["ditochat_slow_consumers_total"]);
    }

    [Fact]
    public void CountsRejectionsByReason()
    {
        _metrics.CountRejected("invalid_message");
        _metrics.CountRejected("rate_limited");
        _metrics.CountRejected("invalid_message");

        var samples = Samples();

        Assert.Equal(2, samples["ditochat_messages_rejected_total{reason=\"invalid_message\"}"]);
        Assert.Equal(1, samples["ditochat_messages_rejected_total{reason=\"rate_limited\"}"]);
    }

    [Fact]
    public void ReportsCumulativeHistogramBuckets()
    {
        _metrics.ObserveStore(TimeSpan.FromMilliseconds(0.3));
        _metrics.ObserveStore(TimeSpan.FromMilliseconds(3));
        _metrics.ObserveStore(TimeSpan.FromMilliseconds(300));
        _metrics.ObserveStore(TimeSpan.FromSeconds(5));

        var samples = Samples();

        Assert.Equal(1, samples["ditochat_store_seconds_bucket{le=\"0.0005\"}"]);
        Assert.Equal(1, samples["ditochat_store_seconds_bucket{le=\"0.001\"}"]);
        Assert.Equal(2, samples["ditochat_store_seconds_bucket{le=\"0.005\"}"]);
        Assert.Equal(2, samples["ditochat_store_seconds_bucket{le=\"0.25\"}"]);
        Assert.Equal(3, samples["ditochat_store_seconds_bucket{le=\"0.5\"}"]);
        Assert.Equal(3, samples["ditochat_store_seconds_bucket{le=\"2.5\"}"]);
        Assert.Equal(4, samples["ditochat_store_seconds_bucket{le=\"+Inf\"}"]);
        Assert.Equal(4, samples["ditochat_store_seconds_count"]);
        Assert.Equal(5.3033, samples["ditochat_store_seconds_sum"], 6);
        var buckets = samples.Where(s => s.Key.StartsWith("ditochat_store_seconds_bucket", StringComparison.Ordinal)).Select(s => s.Value).ToList();
        Assert.Equal(buckets.Order(), buckets);
    }
}
