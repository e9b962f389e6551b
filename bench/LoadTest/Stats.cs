using System.Diagnostics;

namespace DitoChat.LoadTest;

/// <summary>Counters of one thread: receive loops run on pool threads, so no counter is shared
/// between cores on the hot path. Readers sum all threads (slightly stale while running).</summary>
public sealed class ThreadStats
{
    [ThreadStatic] private static ThreadStats? t_current;
    private static readonly List<ThreadStats> s_all = [];

    public long Deliveries;
    public long Duplicates;
    public long OutOfOrder;
    public long Errors;
    public long Foreign;
    public readonly Histogram Latency = new();

    public static ThreadStats Current => t_current ?? Register();

    private static ThreadStats Register()
    {
        var stats = new ThreadStats();
        lock (s_all) s_all.Add(stats);
        t_current = stats;
        return stats;
    }

    public static ThreadStats[] Snapshot()
    {
        lock (s_all) return s_all.ToArray();
    }

    public static long Sum(Func<ThreadStats, long> field) => Snapshot().Sum(field);
}

/// <summary>The measured window, in Stopwatch ticks: latency counts only for messages sent inside it.</summary>
public static class Window
{
    public static long Start = long.MaxValue;
    public static long End = long.MaxValue;

    public static bool Contains(long ts) => ts >= Volatile.Read(ref Start) && ts < Volatile.Read(ref End);

    public static long ToMicros(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;
}
