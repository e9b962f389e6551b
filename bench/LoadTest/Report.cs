using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DitoChat.LoadTest;

/// <summary>`report RESULTS.jsonl SVG`: medians per scenario and server, ratios ours/baseline,
/// the issue's targets, as Markdown on stdout, and a bar chart written as SVG.</summary>
public static class Report
{
    private sealed record Run(string Scenario, string Server, JsonElement Data)
    {
        public double? Get(string key) =>
            Data.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
    }

    private static readonly (string Key, string Title, string Better)[] Metrics =
    [
        ("connected", "clients connected", "="),
        ("deliveries_per_s", "deliveries/s", "high"),
        ("lost", "lost", "low"),
        ("duplicated", "duplicated", "low"),
        ("out_of_order", "out of order", "low"),
        ("errors", "errors", "low"),
        ("closed_by_server", "closed by server", "low"),
        ("p50_ms", "p50 ms", "low"),
        ("p90_ms", "p90 ms", "low"),
        ("p99_ms", "p99 ms", "low"),
        ("max_ms", "max ms", "low"),
        ("server_cpu_s", "server CPU s (window)", "low"),
        ("server_cpu_us_per_delivery", "server CPU µs/delivery", "low"),
        ("redis_cpu_s", "redis CPU s (window)", "low"),
        ("server_peak_rss_kib", "server peak RSS KiB", "low"),
        ("kib_per_connection", "KiB per connection", "low"),
        ("tool_cpu_s", "load tool CPU s", "low"),
        ("requests_per_s", "GET /messages req/s", "high"),
        ("latency_p50_ms", "GET p50 ms", "low"),
        ("latency_p99_ms", "GET p99 ms", "low"),
        ("server_cpu_ms_per_request", "server CPU ms per GET", "low"),
        ("history_items", "history items", "="),
        ("response_bytes", "response bytes", "="),
    ];

    public static int Write(string resultsPath, string svgPath)
    {
        var runs = new List<Run>();
        foreach (var line in File.ReadLines(resultsPath))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var doc = JsonDocument.Parse(line).RootElement;
            var label = doc.GetProperty("label").GetString() ?? "";
            var parts = label.Split('/');
            if (parts.Length < 2 || parts[0] == "fill") continue;
            runs.Add(new Run(parts[0], parts[1], doc));
        }
        var scenarios = runs.Select(r => r.Scenario).Distinct().Order().ToArray();
        var md = new StringBuilder();
        var medians = new Dictionary<(string Scenario, string Server, string Key), double>();

        foreach (var scenario in scenarios)
        {
            var ours = runs.Where(r => r.Scenario == scenario && r.Server == "ours").ToArray();
            var baseline = runs.Where(r => r.Scenario == scenario && r.Server == "baseline").ToArray();
            md.AppendLine(CultureInfo.InvariantCulture, $"### Scenario {scenario}");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Medians of {ours.Length} run(s) of ours and {baseline.Length} of the baseline.");
            md.AppendLine();
            md.AppendLine("| metric | DitoChat | SignalR baseline | ours / baseline |");
            md.AppendLine("|---|---:|---:|---:|");
            foreach (var (key, title, _) in Metrics)
            {
                var o = Median(ours.Select(r => r.Get(key)));
                var b = Median(baseline.Select(r => r.Get(key)));
                if (o is null && b is null) continue;
                if (o is { } ov) medians[(scenario, "ours", key)] = ov;
                if (b is { } bv) medians[(scenario, "baseline", key)] = bv;
                var ratio = o is { } x && b is { } y && y != 0 ? (x / y).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";
                md.AppendLine(CultureInfo.InvariantCulture, $"| {title} | {Format(o)} | {Format(b)} | {ratio} |");
            }
            md.AppendLine();
        }

        md.AppendLine("### Targets of issue 7 (medians, same run)");
        md.AppendLine();
        md.AppendLine("| target | measured | met |");
        md.AppendLine("|---|---|---|");
        Target(md, medians, "B: deliveries/s ≥ 5× baseline, zero loss", "B", (m, s) =>
        {
            var ratio = m((s, "ours", "deliveries_per_s")) / m((s, "baseline", "deliveries_per_s"));
            var lost = m((s, "ours", "lost"));
            return ($"{ratio:0.00}×, lost {lost:0}", ratio >= 5 && lost == 0);
        });
        Target(md, medians, "A: server CPU per delivery ≤ 0.5× baseline", "A", (m, s) =>
        {
            var ratio = m((s, "ours", "server_cpu_us_per_delivery")) / m((s, "baseline", "server_cpu_us_per_delivery"));
            return ($"{ratio:0.00}×", ratio <= 0.5);
        });
        Target(md, medians, "A: p99 ≤ baseline", "A", (m, s) =>
        {
            double o = m((s, "ours", "p99_ms")), b = m((s, "baseline", "p99_ms"));
            return ($"{o:0.0} ms vs {b:0.0} ms", o <= b);
        });
        Target(md, medians, "C: ≤ 6 KiB per connection and ≤ 1/5 of baseline, zero loss", "C", (m, s) =>
        {
            double o = m((s, "ours", "kib_per_connection")), b = m((s, "baseline", "kib_per_connection")), lost = m((s, "ours", "lost"));
            return ($"{o:0.0} KiB vs {b:0.0} KiB, lost {lost:0}", o <= 6 && o <= b / 5 && lost == 0);
        });
        Target(md, medians, "D: ≥ 5,000 req/s for a full 1000-message history", "D", (m, s) =>
        {
            var o = m((s, "ours", "requests_per_s"));
            return ($"{o:0} req/s", o >= 5000);
        });
        md.AppendLine();
        Console.Write(md.ToString());
        File.WriteAllText(svgPath, Svg(scenarios, medians));
        return 0;
    }

    private static void Target(StringBuilder md, Dictionary<(string, string, string), double> medians, string title, string scenario,
        Func<Func<(string, string, string), double>, string, (string Text, bool Met)> check)
    {
        try
        {
            var (text, met) = check(k => medians.TryGetValue(k, out var v) ? v : throw new KeyNotFoundException(), scenario);
            md.AppendLine(CultureInfo.InvariantCulture, $"| {title} | {text} | {(met ? "yes" : "**no**")} |");
        }
        catch (KeyNotFoundException)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {title} | not measured | – |");
        }
    }

    private static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.Where(v => v is not null).Select(v => v!.Value).Order().ToArray();
        if (sorted.Length == 0) return null;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Format(double? v) => v switch
    {
        null => "–",
        >= 100 or <= -100 => v.Value.ToString("#,0", CultureInfo.InvariantCulture),
        _ => v.Value.ToString("0.###", CultureInfo.InvariantCulture),
    };

    /// <summary>Two panels of grouped bars: deliveries/s (or req/s for D) and p99, per scenario.</summary>
    private static string Svg(string[] scenarios, Dictionary<(string Scenario, string Server, string Key), double> m)
    {
        const int panelWidth = 460, height = 320, top = 40, bottom = 50, left = 70;
        var svg = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        svg.AppendLine(inv, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{panelWidth * 2 + 40}" height="{height + 30}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine("""<rect width="100%" height="100%" fill="white"/>""");
        Panel(0, "Deliveries/s (D: req/s), higher is better; per-scenario scale", s => s == "D" ? "requests_per_s" : "deliveries_per_s");
        Panel(panelWidth + 30, "p99 latency in ms (D: GET /messages), lower is better", s => s == "D" ? "latency_p99_ms" : "p99_ms");
        svg.AppendLine(inv, $"""<rect x="{left}" y="{height + 8}" width="12" height="12" fill="#2b7bb9"/><text x="{left + 16}" y="{height + 18}">DitoChat</text>""");
        svg.AppendLine(inv, $"""<rect x="{left + 90}" y="{height + 8}" width="12" height="12" fill="#e07b39"/><text x="{left + 106}" y="{height + 18}">SignalR + Redis baseline</text>""");
        svg.AppendLine("</svg>");
        return svg.ToString();

        void Panel(int x0, string title, Func<string, string> key)
        {
            svg.AppendLine(inv, $"""<text x="{x0 + left}" y="20" font-weight="bold">{title}</text>""");
            var plotWidth = panelWidth - left - 10;
            var plotHeight = height - top - bottom;
            var groupWidth = plotWidth / Math.Max(1, scenarios.Length);
            svg.AppendLine(inv, $"""<line x1="{x0 + left}" y1="{top + plotHeight}" x2="{x0 + left + plotWidth}" y2="{top + plotHeight}" stroke="black"/>""");
            for (var i = 0; i < scenarios.Length; i++)
            {
                var s = scenarios[i];
                // Each scenario has its own scale (units differ): the taller bar fills the plot, values are printed.
                var o = m.GetValueOrDefault((s, "ours", key(s)));
                var b = m.GetValueOrDefault((s, "baseline", key(s)));
                var max = Math.Max(Math.Max(o, b), 1e-9);
                var gx = x0 + left + i * groupWidth;
                Bar(gx + groupWidth * 0.15, groupWidth * 0.32, o / max, "#2b7bb9", o);
                Bar(gx + groupWidth * 0.53, groupWidth * 0.32, b / max, "#e07b39", b);
                svg.AppendLine(inv, $"""<text x="{gx + groupWidth / 2.0:0.#}" y="{top + plotHeight + 18}" text-anchor="middle">{s}</text>""");
            }

            void Bar(double x, double w, double fraction, string color, double value)
            {
                var h = fraction * plotHeight;
                var y = top + plotHeight - h;
                svg.AppendLine(inv, $"""<rect x="{x:0.#}" y="{y:0.#}" width="{w:0.#}" height="{h:0.#}" fill="{color}"/>""");
                var label = value >= 10000 ? (value / 1000).ToString("0", inv) + "k" : value.ToString(value >= 100 ? "0" : "0.#", inv);
                svg.AppendLine(inv, $"""<text x="{x + w / 2:0.#}" y="{y - 4:0.#}" text-anchor="middle" font-size="10">{label}</text>""");
            }
        }
    }
}
