using System.Net.WebSockets;
using System.Runtime.InteropServices;
using DitoChat.Application;
using DitoChat.Infrastructure.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace DitoChat.UnitTests.Connections;

public sealed class ConnectionRegistryBroadcast : IDisposable
{
    private readonly ChatMetrics _metrics = new();
    private readonly ConnectionRegistry _registry;
    private readonly List<ClientConnection> _connections = [];

    public ConnectionRegistryBroadcast()
    {
        Support.Mapping.Ensure();
        _registry = new ConnectionRegistry(_metrics, NullLogger<ConnectionRegistry>.Instance);
        // Stops the background fan-out loop, so each test decides when a pass runs (DeliverPending).
        _registry.Dispose();
    }

    private ClientConnection Connect(int queueCapacity)
    {
        var connection = new ClientConnection(queueCapacity);
        _connections.Add(connection);
        _registry.Add(connection);
        return connection;
    }

    private static List<OutgoingFrame> Queued(ClientConnection connection)
    {
        var frames = new List<OutgoingFrame>();
        while (connection.TryDequeue(out var frame))
        {
            frames.Add(frame);
        }
        return frames;
    }

    /// <summary>The ids of the messages in the frames, as a client splitting them on "\n" reads them.</summary>
    private static List<long> Ids(IEnumerable<OutgoingFrame> frames) =>
        [.. frames.SelectMany(f => System.Text.Encoding.UTF8.GetString(f.Json.Span).Split('\n'))
            .Select(piece => System.Text.Json.JsonDocument.Parse(piece).RootElement.GetProperty("id").GetInt64())];

    private void Broadcast(params int[] ids)
    {
        foreach (var id in ids)
        {
            _registry.Broadcast(Support.Messages.Stored(id));
        }
        _registry.DeliverPending();
    }

    public void Dispose()
    {
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }
    }

    [Fact]
    public void QueuesEveryMessageToEveryConnectionInOrder()
    {
        var a = Connect(10);
        var b = Connect(10);

        Broadcast(1, 2, 3);

        Assert.Equal([1L, 2L, 3L], Ids(Queued(a)));
        Assert.Equal([1L, 2L, 3L], Ids(Queued(b)));
    }

    [Fact]
    public void HandsTheSameBytesToEveryConnection()
    {
        var a = Connect(10);
        var b = Connect(10);

        Broadcast(1);

        Assert.True(MemoryMarshal.TryGetArray(Assert.Single(Queued(a)).Json, out var first));
        Assert.True(MemoryMarshal.TryGetArray(Assert.Single(Queued(b)).Json, out var second));
        Assert.Same(first.Array, second.Array);
    }

    [Fact]
    public void ClosesAFullConnectionAsSlowConsumerWhileOthersStillReceive()
    {
        var slow = Connect(2);
        var healthy = Connect(10);

        Broadcast(1, 2, 3, 4, 5);

        Assert.Equal(new CloseRequest((WebSocketCloseStatus)1013, "slow consumer", DiscardQueued: true), slow.CloseRequest);
        Assert.True(slow.Closing.IsCancellationRequested);
        Assert.Null(healthy.CloseRequest);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], Ids(Queued(healthy)));
        Assert.Contains("ditochat_slow_consumers_total 1\n", _metrics.ToPrometheusText(), StringComparison.Ordinal);
    }

    [Fact]
    public void SendsNothingToARemovedConnection()
    {
        var gone = Connect(10);
        var stays = Connect(10);
        _registry.Remove(gone);

        Broadcast(1);

        Assert.Empty(Queued(gone));
        Assert.Single(Queued(stays));
        Assert.Equal(1, _registry.Count);
    }

    [Fact]
    public void EncodesTheMessageAsItsFiveWireFields()
    {
        var connection = Connect(10);

        _registry.Broadcast(Support.Messages.Stored(7, "line\none"));
        _registry.DeliverPending();

        var json = System.Text.Encoding.UTF8.GetString(Assert.Single(Queued(connection)).Json.Span);
        Assert.Equal("{\"id\":7,\"text\":\"line\\none\",\"uid\":\"u7\",\"title\":\"T\",\"date\":\"2026-12-04T12:00:07.000Z\"}", json);
    }

    [Fact]
    public void JoinsWhatArrivedSinceThePreviousPassIntoOneSharedFrame()
    {
        var a = Connect(64);
        var b = Connect(64);

        Broadcast(1, 2, 3);

        var frame = Assert.Single(Queued(a));
        Assert.Equal((1L, 3L, 3), (frame.FirstId, frame.LastId, frame.Count));
        Assert.Equal([1L, 2L, 3L], Ids([frame]));
        Assert.Equal(frame.Json, Assert.Single(Queued(b)).Json);
    }

    [Fact]
    public void SplitsALongBacklogIntoFramesOfAtMostMaxBatchMessages()
    {
        var connection = Connect(256);

        Broadcast([.. Enumerable.Range(1, 70)]);

        var frames = Queued(connection);
        Assert.All(frames, f => Assert.InRange(f.Count, 1, ConnectionRegistry.MaxBatchMessages));
        Assert.Equal(Enumerable.Range(1, 70).Select(i => (long)i), Ids(frames));
    }
}
