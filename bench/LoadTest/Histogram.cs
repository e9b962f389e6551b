namespace DitoChat.LoadTest;

/// <summary>Log-linear latency histogram in microseconds: exact below 128 µs, then 128 buckets per
/// power of two (under 0.8% error). A few tens of KiB whatever the number of samples.</summary>
public sealed class Histogram
{
    private const int SubBits = 7;
    private const int Sub = 1 << SubBits;
    private const int MaxMsb = 40;
    private readonly long[] _counts = new long[(MaxMsb - SubBits + 2) * Sub];

    public long Count { get; private set; }
    public long Max { get; private set; }

    public void Record(long micros)
    {
        if (micros < 0) micros = 0;
        _counts[Index(micros)]++;
        Count++;
        if (micros > Max) Max = micros;
    }

    public void Add(Histogram other)
    {
        for (var i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        if (other.Max > Max) Max = other.Max;
    }

    /// <summary>The upper bound of the bucket holding the given quantile (0..1).</summary>
    public long Quantile(double q)
    {
        if (Count == 0) return 0;
        var rank = (long)Math.Ceiling(q * Count);
        if (rank < 1) rank = 1;
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Min(UpperBound(i), Max);
        }
        return Max;
    }

    private static int Index(long v)
    {
        if (v < Sub) return (int)v;
        var msb = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)v);
        if (msb > MaxMsb) return (MaxMsb - SubBits + 2) * Sub - 1;
        var shift = msb - SubBits;
        return (shift + 1) * Sub + (int)((v >> shift) - Sub);
    }

    private static long UpperBound(int index)
    {
        if (index < Sub) return index;
        var shift = index / Sub - 1;
        var sub = index % Sub + Sub;
        return ((long)(sub + 1) << shift) - 1;
    }
}
