using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DitoChat.IntegrationTests.Support;

/// <summary>What the server must do with a fuzzed frame.</summary>
public enum Expect
{
    /// <summary>Store and broadcast it as <see cref="FuzzFrame.Text"/>, <see cref="FuzzFrame.Uid"/>, <see cref="FuzzFrame.Title"/>.</summary>
    Stored,
    /// <summary>An invalid_message error object to the sender; the connection stays open.</summary>
    Rejected,
    /// <summary>The server closes the connection (binary, oversized, invalid UTF-8).</summary>
    Closed,
}

public sealed record FuzzFrame(string Kind, byte[] Bytes, WebSocketMessageType Type, Expect Expect,
    string? Text = null, string? Uid = null, string? Title = null)
{
    public override string ToString() =>
        $"{Kind} ({Expect}): {Encoding.UTF8.GetString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 160)))}";
}

/// <summary>
/// Random and mutated frames whose fate the contract decides. Every frame whose text is a string starts its text
/// with <c>marker</c>, so the sender can tell its own broadcasts from the others'.
/// </summary>
public sealed class Fuzzer(int seed, string marker, int maxMessageBytes)
{
    private static readonly JavaScriptEncoder[] Encoders = [JavaScriptEncoder.Default, JavaScriptEncoder.UnsafeRelaxedJsonEscaping];
    private static readonly string[] Pieces =
    [
        "a", "Z", "9", " ", "  ", "\t", "\n", "\r\n", "\"", "\\", "/", "<b>", "&amp;", "'", "é", "ß", "漢字", "\U0001F600",
        "\U0001F469\u200D\U0001F4BB", "\u0000", "\u0001", "\u001B", "\u007F", "\u00A0", "\u2028", "\u2029", "\uFEFF", "\u200B",
        "null", "{}", "[]", "\\u0041", "1e999",
    ];
    private static readonly string[] Blanks = ["", " ", "   ", "\t\n\r ", "\u00A0", "\u2003\u3000"];
    private static readonly string[] ControlBytes = ["\u0001", "\u0002", "\u0008", "\u000B", "\u000C", "\u001F"];

    private readonly Random _random = new(seed);
    private int _count;

    public FuzzFrame Next()
    {
        var n = _count++;
        var roll = _random.Next(100);
        return roll switch
        {
            < 30 => Valid(n),
            < 42 => WrongType(n),
            < 52 => OutOfRange(n),
            < 57 => DeepNesting(n),
            < 63 => LoneSurrogate(n),
            < 68 => RawControlCharacter(n),
            < 83 => Mutated(n),
            < 95 => RandomText(),
            _ => Closer(),
        };
    }

    private string Marker(int n) => $"{marker}{n.ToString(CultureInfo.InvariantCulture)}|";

    private string RandomString(int maxPieces)
    {
        var text = new StringBuilder();
        for (var i = _random.Next(maxPieces + 1); i > 0; i--)
        {
            text.Append(Pieces[_random.Next(Pieces.Length)]);
        }
        return text.ToString();
    }

    private string Name(int max)
    {
        var name = RandomString(8);
        return name.Length <= max ? name : name[..max];
    }

    private byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Encoder = Encoders[_random.Next(Encoders.Length)],
            SkipValidation = true,
        }))
        {
            write(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Fields in random order, unknown extras (huge numbers, shallow nesting, a date) among them.</summary>
    private byte[] Object(params (string Name, Action<Utf8JsonWriter> Value)[] fields)
    {
        var all = fields.ToList();
        if (_random.Next(2) == 0)
        {
            all.Add(("date", w => w.WriteStringValue("2000-01-01T00:00:00.000Z")));
        }
        for (var i = _random.Next(3); i > 0; i--)
        {
            var depth = _random.Next(1, 20);
            all.Add(_random.Next(5) switch
            {
                0 => ("id", w => w.WriteRawValue("123456789012345678901234567890", skipInputValidation: true)),
                1 => ("huge", w => w.WriteRawValue("1e400", skipInputValidation: true)),
                2 => ("nested", w => w.WriteRawValue(new string('[', depth) + new string(']', depth), skipInputValidation: true)),
                3 => ("flag", w => w.WriteBooleanValue(true)),
                _ => ("note", w => w.WriteStringValue(RandomString(3))),
            });
        }
        var shuffled = all.OrderBy(_ => _random.Next()).ToList();
        return Json(w =>
        {
            w.WriteStartObject();
            foreach (var (name, value) in shuffled)
            {
                w.WritePropertyName(name);
                value(w);
            }
            w.WriteEndObject();
        });
    }

    private FuzzFrame Valid(int n)
    {
        var text = Blanks[_random.Next(Blanks.Length)] + Marker(n) + RandomString(12) + Blanks[_random.Next(Blanks.Length)];
        if (_random.Next(10) == 0)
        {
            text = Marker(n).PadRight(2000, 'x') + "  ";
        }
        var uid = _random.Next(4) == 0 ? null : _random.Next(10) == 0 ? new string('u', 64) : Name(64);
        var title = _random.Next(4) == 0 ? null : Name(64);
        var fields = new List<(string, Action<Utf8JsonWriter>)> { ("text", w => w.WriteStringValue(text)) };
        if (uid is not null)
        {
            fields.Add(("uid", w => w.WriteStringValue(uid)));
        }
        if (title is not null)
        {
            fields.Add(("title", w => w.WriteStringValue(title)));
        }
        var bytes = Object([.. fields]);
        return bytes.Length > maxMessageBytes
            ? Valid(n)
            : new FuzzFrame("valid", bytes, WebSocketMessageType.Text, Expect.Stored, text.Trim(), uid ?? "", title ?? "");
    }

    private static readonly string[] WrongValues =
        ["5", "-0", "1e999", "-123456789012345678901234567890", "true", "false", "null", "{}", "{\"text\":\"x\"}", "[]", "[\"x\"]"];

    private FuzzFrame WrongType(int n)
    {
        var field = new[] { "text", "uid", "title" }[_random.Next(3)];
        var wrong = WrongValues[_random.Next(WrongValues.Length)];
        var bytes = Object(
            (field, w => w.WriteRawValue(wrong, skipInputValidation: true)),
            (field == "text" ? "uid" : "text", w => w.WriteStringValue(Marker(n))));
        return new FuzzFrame("wrong type", bytes, WebSocketMessageType.Text, Expect.Rejected);
    }

    private FuzzFrame OutOfRange(int n)
    {
        var (name, text, uid, title) = _random.Next(4) switch
        {
            0 => ("blank text", Blanks[_random.Next(Blanks.Length)], "u", "T"),
            1 => ("long text", " " + Marker(n).PadRight(2001, 'y') + " ", "u", "T"),
            2 => ("long uid", Marker(n), new string('u', 65 + _random.Next(50)), "T"),
            _ => ("long title", Marker(n), "u", new string('t', 65 + _random.Next(50))),
        };
        var bytes = Object(("text", w => w.WriteStringValue(text)), ("uid", w => w.WriteStringValue(uid)), ("title", w => w.WriteStringValue(title)));
        return new FuzzFrame(name, bytes, WebSocketMessageType.Text, Expect.Rejected);
    }

    private FuzzFrame DeepNesting(int n)
    {
        var depth = _random.Next(100, 1500);
        var nested = new string('[', depth) + new string(']', depth);
        var frame = _random.Next(3) switch
        {
            0 => nested,
            1 => $"{{\"text\":{nested},\"uid\":\"{Marker(n)}\"}}",
            _ => new string('{', depth),
        };
        return new FuzzFrame("deep nesting", Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, Expect.Rejected);
    }

    private static readonly string[] Surrogates = ["\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\udc00\\ud800", "\\ud83d"];

    private FuzzFrame LoneSurrogate(int n)
    {
        var half = Surrogates[_random.Next(Surrogates.Length)];
        var frame = _random.Next(3) switch
        {
            0 => $"{{\"text\":\"{Marker(n)}{half}\"}}",
            1 => $"{{\"text\":\"{Marker(n)}\",\"uid\":\"{half}x\"}}",
            _ => $"{{\"text\":\"{Marker(n)}\",\"title\":\"x{half}\"}}",
        };
        return new FuzzFrame("lone surrogate", Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, Expect.Rejected);
    }

    private FuzzFrame RawControlCharacter(int n)
    {
        var control = ControlBytes[_random.Next(ControlBytes.Length)];
        var frame = $"{{\"text\":\"{Marker(n)}{control}\"}}";
        return new FuzzFrame("raw control character", Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, Expect.Rejected);
    }

    /// <summary>A valid frame broken in a way no JSON parser may accept.</summary>
    private FuzzFrame Mutated(int n)
    {
        var valid = Valid(n).Bytes;
        var text = Encoding.UTF8.GetString(valid);
        var (kind, frame) = _random.Next(7) switch
        {
            0 => ("truncated", Encoding.UTF8.GetBytes(text[.._random.Next(text.Length - 1)])),
            1 => ("control character inserted", Insert(valid, ControlBytes[_random.Next(ControlBytes.Length)])),
            2 => ("first quote dropped", Encoding.UTF8.GetBytes(text.Remove(text.IndexOf('"', StringComparison.Ordinal), 1))),
            3 => ("colon replaced", Encoding.UTF8.GetBytes(text.Remove(text.IndexOf(':', StringComparison.Ordinal), 1).Insert(text.IndexOf(':', StringComparison.Ordinal), "="))),
            4 => ("garbage after", Encoding.UTF8.GetBytes(text + new[] { "}", "x", ",", "{}", "]" }[_random.Next(5)])),
            5 => ("garbage before", Encoding.UTF8.GetBytes(new[] { "x", "]", ",", "'" }[_random.Next(4)] + text)),
            _ => ("two objects", Encoding.UTF8.GetBytes(text + "\n" + text)),
        };
        return frame.Length > maxMessageBytes
            ? Mutated(n)
            : new FuzzFrame("mutated: " + kind, frame, WebSocketMessageType.Text, Expect.Rejected);
    }

    private byte[] Insert(byte[] frame, string control)
    {
        // Between two whole characters, so the frame stays valid UTF-8.
        var text = Encoding.UTF8.GetString(frame);
        var at = _random.Next(text.Length + 1);
        while (at > 0 && at < text.Length && char.IsLowSurrogate(text[at]))
        {
            at--;
        }
        return Encoding.UTF8.GetBytes(text.Insert(at, control));
    }

    /// <summary>Random bytes that happen to be valid UTF-8, or random characters; never starting like a JSON object.</summary>
    private FuzzFrame RandomText()
    {
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var bytes = new byte[_random.Next(1, 64)];
        _random.NextBytes(bytes);
        try
        {
            _ = strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            bytes = Encoding.UTF8.GetBytes("x" + RandomString(20));
        }
        if (bytes[0] is (byte)'{' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or >= 0x80)
        {
            bytes = [(byte)'#', .. bytes];
        }
        return new FuzzFrame("random text", bytes, WebSocketMessageType.Text, Expect.Rejected);
    }

    private FuzzFrame Closer()
    {
        switch (_random.Next(3))
        {
            case 0:
                var binary = new byte[_random.Next(1, 100)];
                _random.NextBytes(binary);
                return new FuzzFrame("binary", binary, WebSocketMessageType.Binary, Expect.Closed);
            case 1:
                var big = Encoding.UTF8.GetBytes($"{{\"text\":\"{new string('b', maxMessageBytes + _random.Next(1, 5000))}\"}}");
                return new FuzzFrame("oversized", big, WebSocketMessageType.Text, Expect.Closed);
            default:
                var invalid = Encoding.UTF8.GetBytes("{\"text\":\"bad utf-8 \"}");
                invalid[^3] = new byte[] { 0xFF, 0xC0, 0x80 }[_random.Next(3)];
                return new FuzzFrame("invalid utf-8", invalid, WebSocketMessageType.Text, Expect.Closed);
        }
    }
}
