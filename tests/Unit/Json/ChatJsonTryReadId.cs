using System.Text;
using DitoChat.Infrastructure;

namespace DitoChat.UnitTests.Json;

public sealed class ChatJsonTryReadId
{
    [Fact]
    public void ReadsTheIdOfAnEncodedMessage()
    {
        Support.Mapping.Ensure();
        var json = ChatJson.Encode(Support.Messages.Stored(4711));

        Assert.True(ChatJson.TryReadId(json, out var id));
        Assert.Equal(4711, id);
    }

    [Theory]
    [InlineData("not a chat message")]
    [InlineData("{\"text\":\"hi\",\"id\":3}")]
    [InlineData("{\"id\":,\"text\":\"hi\"}")]
    [InlineData("{\"id\":0,\"text\":\"hi\"}")]
    [InlineData("{\"id\":99999999999999999999999,\"text\":\"hi\"}")]
    public void RefusesAnythingElse(string text)
    {
        Assert.False(ChatJson.TryReadId(Encoding.UTF8.GetBytes(text), out _));
    }
}
