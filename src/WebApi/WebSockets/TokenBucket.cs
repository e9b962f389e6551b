using System.Diagnostics;

namespace DitoChat.WebApi.WebSockets;

/// <summary>A per-connection rate limit: holds <c>2 × rate</c> tokens, starts full, refills continuously at <c>rate</c> per second.</summary>
public sealed class TokenBucket(int ratePerSecond)
{
    private readonly double _capacity = 2.0 * ratePerSecond;
    private double _tokens = 2.0 * ratePerSecond;
    private long _lastRefill = Stopwatch.GetTimestamp();

    /// <summary>Called by the connection's single read loop; not thread-safe.</summary>
    public bool TryTake()
    {
        if (ratePerSecond == 0)
        {
            return true;
        }
        var now = Stopwatch.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + Stopwatch.GetElapsedTime(_lastRefill, now).TotalSeconds * ratePerSecond);
        _lastRefill = now;
        if (_tokens < 1)
        {
            return false;
        }
        _tokens--;
        return true;
    }
}
