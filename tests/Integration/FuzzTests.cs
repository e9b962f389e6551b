using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using DitoChat.IntegrationTests.Support;

namespace DitoChat.IntegrationTests;

/// <summary>Thousands of random and mutated frames: the server keeps serving, logs no error, stores only what was valid.</summary>
public class FuzzTests
{
    private const int Connections = 4;
    private const int FramesPerConnection = 750;
    private const int Seed = 20261204;

    [Fact]
    public async Task RandomAndMutatedFramesLeaveTheServerServingAndStoreOnlyValidMessages()
    {
        await using var server = await ChatServer.StartAsync(new Dictionary<string, string>
        {
            ["RATE_LIMIT_PER_SECOND"] = "0",
            ["HISTORY_SIZE"] = "100000",
        });
        var stored = new ConcurrentDictionary<string, FuzzFrame>(StringComparer.Ordinal);
        var problems = new ConcurrentQueue<string>();

        await Task.WhenAll(Enumerable.Range(0, Connections).Select(c => Task.Run(() => FuzzAsync(server, c, stored, problems))));

        Assert.True(problems.IsEmpty, $"seed {Seed}:\n" + string.Join("\n", problems.Take(20)));
        Assert.Empty(server.Logs.Errors.Select(e => $"{e.Category}: {e.Message} {e.Exception?.Message}"));

        // Still serving.
        await using (var probe = await ChatClient.ConnectAsync(server.WebSocketUri()))
        {
            await probe.SendAsync("after the fuzz");
            Assert.Equal("after the fuzz", (await probe.NextAsync()).Text());
        }

        var history = await server.GetMessagesAsync();
        Assert.Equal("after the fuzz", history[0].Text());
        var fuzzed = history.Skip(1).ToList();
        Assert.Equal(stored.Count, fuzzed.Count);
        Assert.Equal(Wire.Ids(1, history.Count), history.Select(m => m.Id()).Order());
        foreach (var message in fuzzed)
        {
            Wire.AssertMessage(message);
            var text = message.Text();
            Assert.InRange(text.Length, 1, 2000);
            Assert.Equal(text.Trim(), text);
            Assert.True(stored.TryGetValue(text, out var sent), $"stored but never sent as valid: {message.GetRawText()}");
            Assert.Equal(sent.Uid, message.GetProperty("uid").GetString());
            Assert.Equal(sent.Title, message.GetProperty("title").GetString());
        }
    }

    private static async Task FuzzAsync(ChatServer server, int c, ConcurrentDictionary<string, FuzzFrame> stored, ConcurrentQueue<string> problems)
    {
        var marker = $"c{c}#";
        var fuzzer = new Fuzzer(Seed + c, marker, maxMessageBytes: 4096);
        var client = await ChatClient.ConnectAsync(server.WebSocketUri());
        try
        {
            for (var i = 0; i < FramesPerConnection; i++)
            {
                var frame = fuzzer.Next();
                try
                {
                    await client.SendBytesAsync(frame.Bytes, frame.Type);
                    if (frame.Expect == Expect.Closed)
                    {
                        await client.ClosedAsync();
                    }
                    else
                    {
                        Check(frame, await NextOwnAsync(client, marker), stored, problems);
                    }
                }
                catch (Exception e) when (e is WebSocketException or InvalidOperationException or TimeoutException)
                {
                    problems.Enqueue($"connection {c} lost ({client.CloseStatus} {e.Message}) after {frame}");
                }
                if (client.Socket.State != WebSocketState.Open)
                {
                    await client.DisposeAsync();
                    client = await ChatClient.ConnectAsync(server.WebSocketUri());
                }
            }
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>The next object meant for this sender: an error object, or a broadcast of one of its own messages.</summary>
    private static async Task<JsonElement> NextOwnAsync(ChatClient client, string marker)
    {
        while (true)
        {
            var item = await client.NextAsync();
            if (item.TryGetProperty("error", out _)
                || (item.TryGetProperty("text", out var text) && text.GetString()!.StartsWith(marker, StringComparison.Ordinal)))
            {
                return item;
            }
        }
    }

    private static void Check(FuzzFrame frame, JsonElement reply, ConcurrentDictionary<string, FuzzFrame> stored, ConcurrentQueue<string> problems)
    {
        if (frame.Expect == Expect.Stored)
        {
            if (reply.TryGetProperty("text", out var text) && text.GetString() == frame.Text
                && reply.GetProperty("uid").GetString() == frame.Uid && reply.GetProperty("title").GetString() == frame.Title)
            {
                stored[frame.Text!] = frame;
            }
            else
            {
                problems.Enqueue($"valid frame answered with {reply.GetRawText()}: {frame}");
            }
        }
        else if (!reply.IsError("invalid_message"))
        {
            problems.Enqueue($"invalid frame answered with {reply.GetRawText()}: {frame}");
        }
    }
}
