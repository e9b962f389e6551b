using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace DitoChat.LoadTest;

/// <summary>One simulated client: a raw socket, a minimal RFC 6455 client (one receive per batch of
/// frames, so the tool costs little CPU next to the server under test), one receive buffer, and per
/// publisher the next expected sequence number.</summary>
public sealed class BenchClient
{
    private const string Rfc6455Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static ReadOnlySpan<byte> TextMarker => "\"text\":\""u8;
    private static ReadOnlySpan<byte> ErrorMarker => "\"error\""u8;
    private static ReadOnlySpan<byte> SignalRClose => "\"type\":7"u8;

    private readonly Protocol _protocol;
    private readonly byte _separator;
    private readonly int[] _next;
    private readonly Lock _sendLock = new();
    private List<(int Publisher, int From, int To)>? _gaps;
    private byte[] _buffer = new byte[4096];
    private int _start;      // first unparsed byte in _buffer
    private int _end;        // end of received bytes in _buffer
    private List<byte>? _partial; // a piece split across fragmented frames (rare)
    private Socket _socket = null!;

    public BenchClient(int id, Protocol protocol, int publishers)
    {
        Id = id;
        _protocol = protocol;
        _separator = protocol == Protocol.Dito ? (byte)'\n' : (byte)0x1e;
        _next = new int[publishers];
    }

    public int Id { get; }
    /// <summary>Set on publishing clients: their own publisher, and every publisher whose pace they set.</summary>
    public Publisher? OwnPublisher { get; set; }
    public Publisher[]? Observed { get; set; }
    public bool Closed { get; private set; }
    public string? CloseReason { get; private set; }

    /// <summary>The highest sequence number of publisher p seen, plus one.</summary>
    public int NextExpected(int publisher) => Volatile.Read(ref _next[publisher]);

    /// <summary>Messages of publisher p this client holds: the highest seen + 1, less the gaps.</summary>
    public long Received(int publisher) =>
        _next[publisher] - (_gaps?.Where(g => g.Publisher == publisher).Sum(g => (long)g.To - g.From + 1) ?? 0);

    public async Task ConnectAsync(Uri url, IPEndPoint endpoint, CancellationToken ct)
    {
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await _socket.ConnectAsync(endpoint, ct);
            await UpgradeAsync(url, ct);
            if (_protocol == Protocol.SignalR) await SignalRHandshakeAsync(ct);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    private async Task UpgradeAsync(Uri url, CancellationToken ct)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var path = url.AbsolutePath == "/" ? (_protocol == Protocol.Dito ? "/ws" : "/chathub") : url.PathAndQuery;
        var request = $"GET {path} HTTP/1.1\r\nHost: {url.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await _socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, ct);

        int headerEnd;
        while ((headerEnd = _buffer.AsSpan(0, _end).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (_end == _buffer.Length) throw new IOException("upgrade response header too long");
            var n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
            if (n == 0) throw new IOException("closed during upgrade");
            _end += n;
        }
        var response = Encoding.ASCII.GetString(_buffer, 0, headerEnd);
        if (!response.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            throw new IOException("upgrade refused: " + response.Split("\r\n")[0]);
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Rfc6455Guid)));
        if (!response.Contains("Sec-WebSocket-Accept: " + accept, StringComparison.OrdinalIgnoreCase))
            throw new IOException("bad Sec-WebSocket-Accept");
        _start = headerEnd + 4; // bytes after the header are already WebSocket frames
    }

    private async Task SignalRHandshakeAsync(CancellationToken ct)
    {
        Send("{\"protocol\":\"json\",\"version\":1}\u001e"u8);
        // The handshake reply is one record: "{}" or {"error":...}, then the record separator.
        while (true)
        {
            if (TryReadFrame(out var opcode, out var payload, out _))
            {
                var reply = _buffer.AsSpan(payload.Start, payload.Length);
                if (opcode != 1 || reply.IndexOf((byte)0x1e) < 0 || reply.IndexOf(ErrorMarker) >= 0)
                    throw new IOException("SignalR handshake failed: " + Encoding.UTF8.GetString(reply));
                return;
            }
            await ReceiveMoreAsync(ct);
        }
    }

    /// <summary>Sends one masked text frame. Synchronous under a lock: frames are small and the
    /// server reads them, so the kernel buffer takes them at once.</summary>
    public void Send(ReadOnlySpan<byte> payload) => SendFrame(0x1, payload);

    private void SendFrame(byte opcode, ReadOnlySpan<byte> payload)
    {
        var headerLength = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var frame = new byte[headerLength + 4 + payload.Length];
        frame[0] = (byte)(0x80 | opcode);
        if (headerLength == 2)
        {
            frame[1] = (byte)(0x80 | payload.Length);
        }
        else if (headerLength == 4)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }
        var mask = frame.AsSpan(headerLength, 4);
        Random.Shared.NextBytes(mask);
        var body = frame.AsSpan(headerLength + 4);
        for (var i = 0; i < payload.Length; i++) body[i] = (byte)(payload[i] ^ mask[i & 3]);
        lock (_sendLock)
        {
            var sent = 0;
            while (sent < frame.Length) sent += _socket.Send(frame, sent, frame.Length - sent, SocketFlags.None);
        }
    }

    public void Abort()
    {
        Closed = true;
        CloseReason ??= "aborted by the tool";
        _socket.Dispose();
    }

    public async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var stats = ThreadStats.Current;
                var now = Stopwatch.GetTimestamp();
                while (TryReadFrame(out var opcode, out var payload, out var fin))
                {
                    switch (opcode)
                    {
                        case 0x0: // continuation
                        case 0x1: // text
                            OnData(_buffer.AsSpan(payload.Start, payload.Length), fin, stats, now);
                            break;
                        case 0x8:
                            var body = _buffer.AsSpan(payload.Start, payload.Length);
                            var status = body.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(body) : 1005;
                            CloseReason ??= $"closed by server: {status} {Encoding.UTF8.GetString(body[Math.Min(2, body.Length)..])}";
                            return;
                        case 0x9:
                            SendFrame(0xA, _buffer.AsSpan(payload.Start, payload.Length));
                            break;
                        case 0xA:
                            break;
                        default:
                            CloseReason ??= $"unexpected opcode {opcode}";
                            return;
                    }
                }
                await ReceiveMoreAsync(CancellationToken.None);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            CloseReason ??= "connection lost: " + e.Message;
        }
        finally
        {
            Closed = true;
            OwnPublisher?.Stop();
            _socket.Dispose();
        }
    }

    private async ValueTask ReceiveMoreAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        var n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
        if (n == 0) throw new IOException("the server closed the TCP connection");
        _end += n;
    }

    /// <summary>A whole frame at _start, if received: its opcode and payload range; advances past it.</summary>
    private bool TryReadFrame(out int opcode, out (int Start, int Length) payload, out bool fin)
    {
        opcode = 0;
        payload = default;
        fin = false;
        var available = _buffer.AsSpan(_start, _end - _start);
        if (available.Length < 2) return false;
        fin = (available[0] & 0x80) != 0;
        opcode = available[0] & 0x0F;
        var masked = (available[1] & 0x80) != 0;
        long length = available[1] & 0x7F;
        var header = 2;
        if (length == 126)
        {
            if (available.Length < 4) return false;
            length = BinaryPrimitives.ReadUInt16BigEndian(available[2..]);
            header = 4;
        }
        else if (length == 127)
        {
            if (available.Length < 10) return false;
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(available[2..]);
            header = 10;
        }
        if (masked) throw new IOException("the server sent a masked frame");
        if (length > 64 * 1024 * 1024) throw new IOException($"frame of {length} bytes");
        if (available.Length < header + length)
        {
            // Make room for the whole frame before the next receive.
            if (header + length > _buffer.Length) Array.Resize(ref _buffer, (int)Math.Max(_buffer.Length * 2, header + length));
            return false;
        }
        payload = (_start + header, (int)length);
        _start += header + (int)length;
        return true;
    }

    /// <summary>Splits text payloads into pieces: "\n"-separated JSON objects (Dito) or
    /// 0x1e-terminated records (SignalR).</summary>
    private void OnData(ReadOnlySpan<byte> data, bool fin, ThreadStats stats, long now)
    {
        while (true)
        {
            var i = data.IndexOf(_separator);
            if (i < 0) break;
            if (_partial is { Count: > 0 })
            {
                _partial.AddRange(data[..i]);
                Handle(_partial.ToArray(), stats, now);
                _partial.Clear();
            }
            else if (i > 0)
            {
                Handle(data[..i], stats, now);
            }
            data = data[(i + 1)..];
        }
        if (fin)
        {
            if (_partial is { Count: > 0 })
            {
                _partial.AddRange(data);
                Handle(_partial.ToArray(), stats, now);
                _partial.Clear();
            }
            else if (!data.IsEmpty)
            {
                Handle(data, stats, now);
            }
        }
        else if (!data.IsEmpty)
        {
            (_partial ??= []).AddRange(data);
        }
    }

    private void Handle(ReadOnlySpan<byte> piece, ThreadStats stats, long now)
    {
        var at = piece.IndexOf(TextMarker);
        if (at < 0)
        {
            if (piece.IndexOf(ErrorMarker) >= 0 || (_protocol == Protocol.SignalR && piece.IndexOf(SignalRClose) >= 0))
            {
                stats.Errors++;
                OwnPublisher?.OnError();
            }
            return; // SignalR pings and anything else without a text
        }
        if (!TryParse(piece[(at + TextMarker.Length)..], out var publisher, out var seq, out var sentAt) || publisher >= _next.Length)
        {
            stats.Foreign++;
            return;
        }

        var next = _next[publisher];
        if (seq == next)
        {
            _next[publisher] = next + 1;
        }
        else if (seq > next)
        {
            (_gaps ??= []).Add((publisher, next, seq - 1));
            _next[publisher] = seq + 1;
        }
        else if (FillGap(publisher, seq))
        {
            stats.OutOfOrder++;
        }
        else
        {
            stats.Duplicates++;
            return;
        }

        stats.Deliveries++;
        if (Window.Contains(sentAt)) stats.Latency.Record(Window.ToMicros(now - sentAt));
        if (Observed is { } observed) observed[publisher].OnObserved();
    }

    private bool FillGap(int publisher, int seq)
    {
        if (_gaps is null) return false;
        for (var i = 0; i < _gaps.Count; i++)
        {
            var (p, from, to) = _gaps[i];
            if (p != publisher || seq < from || seq > to) continue;
            _gaps.RemoveAt(i);
            if (from < seq) _gaps.Add((p, from, seq - 1));
            if (seq < to) _gaps.Add((p, seq + 1, to));
            return true;
        }
        return false;
    }

    /// <summary>Parses the start of "p{publisher}:{seq}:{stopwatch ticks}".</summary>
    private static bool TryParse(ReadOnlySpan<byte> text, out int publisher, out int seq, out long sentAt)
    {
        publisher = seq = 0;
        sentAt = 0;
        if (text.IsEmpty || text[0] != (byte)'p') return false;
        text = text[1..];
        if (!Utf8Parser.TryParse(text, out publisher, out var used) || used >= text.Length || text[used] != (byte)':') return false;
        text = text[(used + 1)..];
        if (!Utf8Parser.TryParse(text, out seq, out used) || used >= text.Length || text[used] != (byte)':') return false;
        text = text[(used + 1)..];
        return Utf8Parser.TryParse(text, out sentAt, out _);
    }
}
