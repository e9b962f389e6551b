namespace DitoChat.LoadTest;

/// <summary>CPU and memory of other processes, read from /proc (Linux only).</summary>
public static class ProcStats
{
    // USER_HZ is 100 on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100.0;

    public static double CpuSeconds(IReadOnlyList<int> pids)
    {
        double total = 0;
        foreach (var pid in pids)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                // The command name may hold spaces and parentheses: fields start after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                total += (long.Parse(fields[11]) + long.Parse(fields[12])) / ClockTicksPerSecond;
            }
            catch (IOException) { }
        }
        return total;
    }

    /// <summary>Sum of a /proc/PID/status field in KiB (VmRSS, VmHWM).</summary>
    public static long StatusKib(IReadOnlyList<int> pids, string field)
    {
        long total = 0;
        foreach (var pid in pids)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    total += long.Parse(parts[1]);
                    break;
                }
            }
            catch (IOException) { }
        }
        return total;
    }
}
