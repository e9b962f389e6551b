using System.Text;
using BenchmarkDotNet.Attributes;
using DitoChat.Application;
using DitoChat.Application.Messages;
using DitoChat.Domain;
using DitoChat.Infrastructure;
using DitoChat.Infrastructure.Connections;
using DitoChat.WebApi;
using Microsoft.Extensions.Logging.Abstractions;

namespace DitoChat.Micro;

/// <summary>The per-message hot path of one accepted message: parse the frame, validate, stamp,
/// encode once, enqueue the same bytes to every connection. Allocations per broadcast must not
/// grow with the number of connections.</summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private readonly byte[] _frame = Encoding.UTF8.GetBytes("{\"text\":\"p3:1234:638999999999999\",\"uid\":\"bench-p3\",\"title\":\"bench\"}");
    private readonly SendMessageValidator _validator = new();
    private readonly ChatMessage _message = new(42, "p3:1234:638999999999999", "bench-p3", "bench", DateTimeOffset.UnixEpoch);
    private ConnectionRegistry _registry = null!;
    private ClientConnection[] _connections = [];
    private long _id;

    [Params(1, 100, 1000)]
    public int Connections { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _registry = new ConnectionRegistry(new ChatMetrics(), NullLogger<ConnectionRegistry>.Instance);
        _connections = Enumerable.Range(0, Connections).Select(_ => new ClientConnection(256)).ToArray();
        foreach (var connection in _connections) _registry.Add(connection);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var connection in _connections) connection.Dispose();
        _registry.Dispose();
    }

    [Benchmark(Description = "parse frame")]
    public SendMessage Parse() => IncomingMessage.Parse(_frame);

    [Benchmark(Description = "validate")]
    public bool Validate() => _validator.Validate(new SendMessage("p3:1234:638999999999999", "bench-p3", "bench")).IsValid;

    [Benchmark(Description = "encode once")]
    public byte[] Encode() => ChatJson.Encode(_message);

    /// <summary>Encode, enqueue to every connection (the fan-out pass, run here rather than on its loop),
    /// then empty the queues as the write loops would.</summary>
    [Benchmark(Description = "broadcast (enqueue + drain)")]
    public void Broadcast()
    {
        _registry.Broadcast(_message);
        _registry.DeliverPending();
        Drain();
    }

    [Benchmark(Description = "whole hot path")]
    public void HotPath()
    {
        var command = IncomingMessage.Parse(_frame);
        if (!_validator.Validate(command).IsValid) throw new InvalidOperationException("invalid");
        var message = ChatMessage.Draft(command.Text!, command.Uid, command.Title, DateTimeOffset.UtcNow).WithId(++_id);
        _registry.Broadcast(message);
        _registry.DeliverPending();
        Drain();
    }

    private void Drain()
    {
        foreach (var connection in _connections)
        {
            while (connection.TryDequeue(out _))
            {
            }
        }
    }
}
