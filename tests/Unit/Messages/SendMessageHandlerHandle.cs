using System.Globalization;
using DitoChat.Application;
using DitoChat.Application.Abstractions;
using DitoChat.Application.Messages;
using DitoChat.Domain;
using DitoChat.UnitTests.Support;
using Moq;

namespace DitoChat.UnitTests.Messages;

public class SendMessageHandlerHandle
{
    // 10:00:00.1234567 UTC: sub-millisecond ticks that must be cut, not rounded.
    private static readonly DateTimeOffset ReceivedAt = new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);

    private readonly Mock<IMessageStore> _store = new();
    private readonly ChatMetrics _metrics = new();
    private ChatMessage? _appended;

    public SendMessageHandlerHandle()
    {
        Mapping.Ensure();
        _store.Setup(s => s.AppendAsync(It.IsAny<ChatMessage>(), It.IsAny<CancellationToken>()))
            .Returns((ChatMessage draft, CancellationToken _) =>
            {
                _appended = draft;
                return ValueTask.FromResult(draft.WithId(42));
            });
    }

    private SendMessageHandler Handler(DateTimeOffset now) => new(_store.Object, new FixedClock(now), _metrics);

    [Fact]
    public async Task StampsServerTimeAndTrimsText()
    {
        var dto = await Handler(ReceivedAt).Handle(new SendMessage("  hello there \n", "k3j2", "Ana"), CancellationToken.None);

        Assert.NotNull(_appended);
        Assert.Equal("hello there", _appended.Text);
        Assert.Equal("k3j2", _appended.Uid);
        Assert.Equal("Ana", _appended.Title);
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 10, 0, 0, 123, TimeSpan.Zero), _appended.Date);
        Assert.Equal(TimeSpan.Zero, _appended.Date.Offset);
        Assert.Equal("hello there", dto.Text);
    }

    [Fact]
    public async Task StampsUtcWhenTheClockAnswersWithAnOffset()
    {
        var localNoon = new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567);

        var dto = await Handler(localNoon).Handle(new SendMessage("hi", null, null), CancellationToken.None);

        Assert.Equal(TimeSpan.Zero, _appended!.Date.Offset);
        Assert.Equal("2026-12-04T10:00:00.123Z", dto.Date);
    }

    [Fact]
    public async Task FormatsDateWithExactlyThreeFractionalDigitsAndZ()
    {
        var wholeSecond = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var dto = await Handler(wholeSecond).Handle(new SendMessage("hi", null, null), CancellationToken.None);

        Assert.Equal("2026-01-02T03:04:05.000Z", dto.Date);
        Assert.True(DateTime.TryParseExact(dto.Date, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out _));
    }

    [Fact]
    public async Task ReturnsTheIdTheStoreGave()
    {
        var dto = await Handler(ReceivedAt).Handle(new SendMessage("hi", "u", "T"), CancellationToken.None);

        Assert.Equal(42, dto.Id);
        Assert.Equal(new ChatMessageDto(42, "hi", "u", "T", "2026-12-04T10:00:00.123Z"), dto);
    }

    [Fact]
    public async Task StoresExactlyOnce()
    {
        await Handler(ReceivedAt).Handle(new SendMessage("hi", "u", "T"), CancellationToken.None);

        _store.Verify(s => s.AppendAsync(It.IsAny<ChatMessage>(), It.IsAny<CancellationToken>()), Times.Once);
        _store.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task StoresMissingUidAndTitleAsEmpty()
    {
        var dto = await Handler(ReceivedAt).Handle(new SendMessage("hi", null, null), CancellationToken.None);

        Assert.Equal("", dto.Uid);
        Assert.Equal("", dto.Title);
    }

    [Fact]
    public async Task CountsTheAcceptedMessageAndItsStoreTime()
    {
        await Handler(ReceivedAt).Handle(new SendMessage("hi", null, null), CancellationToken.None);

        var text = _metrics.ToPrometheusText();
        Assert.Contains("ditochat_messages_accepted_total 1\n", text, StringComparison.Ordinal);
        Assert.Contains("ditochat_store_seconds_count 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoresNothingAndCountsNothingWhenTheStoreFails()
    {
        _store.Setup(s => s.AppendAsync(It.IsAny<ChatMessage>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new StoreUnavailableException("down"));

        await Assert.ThrowsAsync<StoreUnavailableException>(
            async () => await Handler(ReceivedAt).Handle(new SendMessage("hi", null, null), CancellationToken.None));

        Assert.Contains("ditochat_messages_accepted_total 0\n", _metrics.ToPrometheusText(), StringComparison.Ordinal);
    }
}
