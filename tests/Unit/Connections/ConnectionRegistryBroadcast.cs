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
        while (connection.Outgoing.TryRead(out var frame))
        {
            frames.Add(frame);
        }
        return frames;
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

        for (var id = 1; id <= 3; id++)
        {
            _registry.Broadcast(Support.Messages.Stored(id));
        }

        Assert.Equal([1L, 2L, 3L], Queued(a).Select(f => f.Id));
        Assert.Equal([1L, 2L, 3L], Queued(b).Select(f => f.Id));
    }

    [Fact]
    public void HandsTheSameBytesToEveryConnection()
    {
        var a = Connect(10);
        var b = Connect(10);

        _registry.Broadcast(Support.Messages.Stored(1));

        Assert.True(MemoryMarshal.TryGetArray(Assert.Single(Queued(a)).Json, out var first));
        Assert.True(MemoryMarshal.TryGetArray(Assert.Single(Queued(b)).Json, out var second));
        Assert.Same(first.Array, second.Array);
    }

    [Fact]
    public void ClosesAFullConnectionAsSlowConsumerWhileOthersStillReceive()
    {
        var slow = Connect(2);
        var healthy = Connect(10);

        for (var id = 1; id <= 5; id++)
        {
            _registry.Broadcast(Support.Messages.Stored(id));
        }

        Assert.Equal(new CloseRequest((WebSocketCloseStatus)1013, "slow consumer", DiscardQueued: true), slow.CloseRequest);
        Assert.True(slow.Closing.IsCancellationRequested);
        Assert.Null(healthy.CloseRequest);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], Queued(healthy).Select(f => f.Id));
        Assert.Contains("ditochat_slow_consumers_total 1\n", _metrics.ToPrometheusText(), StringComparison.Ordinal);
    }

    [Fact]
    public void SendsNothingToARemovedConnection()
    {
        var gone = Connect(10);
        var stays = Connect(10);
        _registry.Remove(gone);

        _registry.Broadcast(Support.Messages.Stored(1));

        Assert.Empty(Queued(gone));
        Assert.Single(Queued(stays));
        Assert.Equal(1, _registry.Count);
    }

    [Fact]
    public void EncodesTheMessageAsItsFiveWireFields()
    {
        var connection = Connect(10);

        _registry.Broadcast(Support.Messages.Stored(7, "line\none"));

        var json = System.Text.Encoding.UTF8.GetString(Assert.Single(Queued(connection)).Json.Span);
        Assert.Equal("{\"id\":7,\"text\":\"line\\none\",\"uid\":\"u7\",\"title\":\"T\",\"date\":\"2026-12-04T12:00:07.000Z\"}", json);
    }
}
