using DitoChat.Application.Abstractions;
using DitoChat.Application.Messages;
using DitoChat.Domain;
using DitoChat.UnitTests.Support;
using Moq;

namespace DitoChat.UnitTests.Messages;

public class GetHistoryHandlerHandle
{
    private readonly Mock<IMessageStore> _store = new();

    public GetHistoryHandlerHandle() => Mapping.Ensure();

    private void StoreAnswers(params long[] ids) =>
        _store.Setup(s => s.GetLatestAsync(It.IsAny<int>(), It.IsAny<long?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(ids.Select(id => Support.Messages.Stored(id)).ToList());

    [Fact]
    public async Task AsksForTheWholeWindowWithoutLimit()
    {
        StoreAnswers();

        await new GetHistoryHandler(_store.Object).Handle(new GetHistory(), CancellationToken.None);

        // The largest HISTORY_SIZE is 100000: anything below could cut the window short.
        _store.Verify(s => s.GetLatestAsync(It.Is<int>(l => l >= 100_000), null, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task PassesLimitAndBefore()
    {
        StoreAnswers();

        await new GetHistoryHandler(_store.Object).Handle(new GetHistory(5, 7), CancellationToken.None);

        _store.Verify(s => s.GetLatestAsync(5, 7, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task MapsEveryMessageInTheStoresOrder()
    {
        StoreAnswers(9, 8, 7);

        var result = await new GetHistoryHandler(_store.Object).Handle(new GetHistory(), CancellationToken.None);

        Assert.Equal([9L, 8L, 7L], result.Select(m => m.Id));
        var newest = result[0];
        Assert.Equal(new ChatMessageDto(9, "hi", "u9", "T", "2026-12-04T12:00:09.000Z"), newest);
    }
}

public class GetHistorySinceHandlerHandle
{
    private readonly Mock<IMessageStore> _store = new();

    public GetHistorySinceHandlerHandle() => Mapping.Ensure();

    [Fact]
    public async Task PassesSinceAndMapsOldestFirstUnchanged()
    {
        _store.Setup(s => s.GetSinceAsync(4, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new List<ChatMessage> { Support.Messages.Stored(5), Support.Messages.Stored(6, "second") });

        var result = await new GetHistorySinceHandler(_store.Object).Handle(new GetHistorySince(4), CancellationToken.None);

        Assert.Equal([5L, 6L], result.Select(m => m.Id));
        Assert.Equal("second", result[1].Text);
        _store.Verify(s => s.GetSinceAsync(4, It.IsAny<CancellationToken>()), Times.Once);
    }
}
