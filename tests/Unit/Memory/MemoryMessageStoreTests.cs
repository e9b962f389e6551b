using DitoChat.Infrastructure;
using DitoChat.Infrastructure.Memory;
using DitoChat.UnitTests.Support;

namespace DitoChat.UnitTests.Memory;

public abstract class MemoryMessageStoreFixture
{
    protected RecordingBroadcaster Broadcaster { get; } = new();

    protected MemoryMessageStore NewStore(int historySize) => new(Broadcaster, new StoreOptions(historySize));

    /// <summary>A store of <paramref name="historySize"/> that was sent <paramref name="count"/> messages.</summary>
    protected async Task<MemoryMessageStore> StoreWith(int historySize, int count)
    {
        var store = NewStore(historySize);
        for (var i = 1; i <= count; i++)
        {
            await store.AppendAsync(Support.Messages.Draft($"m{i}"), CancellationToken.None);
        }
        return store;
    }
}

public class MemoryMessageStoreAppendAsync : MemoryMessageStoreFixture
{
    [Fact]
    public async Task GivesConsecutiveIdsFromOne()
    {
        var store = NewStore(10);

        var first = await store.AppendAsync(Support.Messages.Draft("a"), CancellationToken.None);
        var second = await store.AppendAsync(Support.Messages.Draft("b"), CancellationToken.None);

        Assert.Equal(1, first.Id);
        Assert.Equal(2, second.Id);
        Assert.Equal("a", first.Text);
    }

    [Fact]
    public async Task BroadcastsEachMessageAsStored()
    {
        var store = NewStore(10);

        var stored = await store.AppendAsync(Support.Messages.Draft("a"), CancellationToken.None);

        Assert.Equal([stored], Broadcaster.Messages);
    }

    [Fact]
    public async Task KeepsExactlyHistorySizeMessages()
    {
        var store = await StoreWith(historySize: 10, count: 15);

        var kept = await store.GetLatestAsync(int.MaxValue, null, CancellationToken.None);

        Assert.Equal(Enumerable.Range(6, 10).Reverse().Select(i => (long)i), kept.Select(m => m.Id));
        Assert.Equal(["m15", "m6"], new[] { kept[0].Text, kept[^1].Text });
    }

    [Fact]
    public async Task GivesUniqueConsecutiveIdsUnderConcurrentSendersInBroadcastOrder()
    {
        const int senders = 16, perSender = 200;
        var store = NewStore(senders * perSender);

        var appended = await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            var ids = new List<long>();
            for (var i = 0; i < perSender; i++)
            {
                ids.Add((await store.AppendAsync(Support.Messages.Draft($"{s}-{i}"), CancellationToken.None)).Id);
            }
            return ids;
        })));

        var expected = Enumerable.Range(1, senders * perSender).Select(i => (long)i).ToList();
        Assert.Equal(expected, appended.SelectMany(ids => ids).Order());
        Assert.Equal(expected, Broadcaster.Messages.Select(m => m.Id));
        // Each sender's own messages keep the order it sent them in.
        Assert.All(appended, ids => Assert.Equal(ids.Order(), ids));
    }
}

public class MemoryMessageStoreGetLatestAsync : MemoryMessageStoreFixture
{
    [Fact]
    public async Task ReturnsNothingFromAnEmptyStore() =>
        Assert.Empty(await NewStore(10).GetLatestAsync(10, null, CancellationToken.None));

    [Fact]
    public async Task ReturnsNewestFirstUpToLimit()
    {
        var store = await StoreWith(historySize: 100, count: 20);

        var page = await store.GetLatestAsync(3, null, CancellationToken.None);

        Assert.Equal([20L, 19L, 18L], page.Select(m => m.Id));
    }

    [Fact]
    public async Task PagesWithBefore()
    {
        var store = await StoreWith(historySize: 100, count: 20);

        var page = await store.GetLatestAsync(3, 18, CancellationToken.None);
        var next = await store.GetLatestAsync(3, page[^1].Id, CancellationToken.None);

        Assert.Equal([17L, 16L, 15L], page.Select(m => m.Id));
        Assert.Equal([14L, 13L, 12L], next.Select(m => m.Id));
    }

    [Fact]
    public async Task StopsAtTheOldestRetainedMessage()
    {
        var store = await StoreWith(historySize: 10, count: 15);

        Assert.Equal([7L, 6L], (await store.GetLatestAsync(5, 8, CancellationToken.None)).Select(m => m.Id));
        Assert.Empty(await store.GetLatestAsync(5, 6, CancellationToken.None));
        Assert.Empty(await store.GetLatestAsync(5, 1, CancellationToken.None));
    }

    [Fact]
    public async Task TreatsBeforeAboveNewestAsNoBound()
    {
        var store = await StoreWith(historySize: 100, count: 5);

        Assert.Equal([5L, 4L], (await store.GetLatestAsync(2, 1000, CancellationToken.None)).Select(m => m.Id));
    }
}

public class MemoryMessageStoreGetSinceAsync : MemoryMessageStoreFixture
{
    private static IEnumerable<long> Ids(int from, int to) => Enumerable.Range(from, to - from + 1).Select(i => (long)i);

    [Fact]
    public async Task ReturnsMessagesAfterSinceOldestFirst()
    {
        var store = await StoreWith(historySize: 10, count: 15);

        Assert.Equal(Ids(13, 15), (await store.GetSinceAsync(12, CancellationToken.None)).Select(m => m.Id));
    }

    [Fact]
    public async Task ReturnsTheWholeWindowWhenSinceIsOlderThanIt()
    {
        var store = await StoreWith(historySize: 10, count: 15);

        Assert.Equal(Ids(6, 15), (await store.GetSinceAsync(3, CancellationToken.None)).Select(m => m.Id));
    }

    [Fact]
    public async Task ReturnsTheWholeWindowForZero()
    {
        var store = await StoreWith(historySize: 10, count: 15);

        Assert.Equal(Ids(6, 15), (await store.GetSinceAsync(0, CancellationToken.None)).Select(m => m.Id));
    }

    [Fact]
    public async Task ReturnsTheWholeWindowWhenSinceIsAboveTheNewest()
    {
        var store = await StoreWith(historySize: 10, count: 15);

        Assert.Equal(Ids(6, 15), (await store.GetSinceAsync(99, CancellationToken.None)).Select(m => m.Id));
    }

    [Fact]
    public async Task ReturnsNothingWhenSinceIsTheNewest()
    {
        var store = await StoreWith(historySize: 10, count: 15);

        Assert.Empty(await store.GetSinceAsync(15, CancellationToken.None));
    }

    [Fact]
    public async Task ReturnsNothingFromAnEmptyStore() =>
        Assert.Empty(await NewStore(10).GetSinceAsync(0, CancellationToken.None));
}
