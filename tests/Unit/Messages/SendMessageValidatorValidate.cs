using DitoChat.Application.Messages;

namespace DitoChat.UnitTests.Messages;

public class SendMessageValidatorValidate
{
    private readonly SendMessageValidator _validator = new();

    [Theory]
    [InlineData("hi")]
    [InlineData("  padded  ")]
    [InlineData("line one\nline two")]
    public void AcceptsNonEmptyText(string text) =>
        Assert.True(_validator.Validate(new SendMessage(text, "u", "T")).IsValid);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(" \t\r\n ")]
    public void RejectsMissingOrBlankTextUnderTheNameText(string? text)
    {
        var result = _validator.Validate(new SendMessage(text, "u", "T"));

        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors);
        Assert.Equal("text", error.PropertyName);
    }

    [Fact]
    public void AcceptsTwoThousandCharactersAfterTrimming() =>
        Assert.True(_validator.Validate(new SendMessage("   " + new string('a', 2000) + "\n ", null, null)).IsValid);

    [Fact]
    public void RejectsTwoThousandAndOneCharactersAfterTrimming()
    {
        var result = _validator.Validate(new SendMessage(" " + new string('a', 2001) + " ", null, null));

        Assert.Equal("text", Assert.Single(result.Errors).PropertyName);
    }

    [Fact]
    public void CountsUtf16CodeUnitsNotBytes()
    {
        // 1000 emoji are 2000 UTF-16 code units (and 4000 UTF-8 bytes).
        var emoji = string.Concat(Enumerable.Repeat("\U0001F600", 1000));

        Assert.True(_validator.Validate(new SendMessage(emoji, null, null)).IsValid);
        Assert.False(_validator.Validate(new SendMessage(emoji + "a", null, null)).IsValid);
    }

    [Fact]
    public void AcceptsNullUidAndTitle() =>
        Assert.True(_validator.Validate(new SendMessage("hi", null, null)).IsValid);

    [Fact]
    public void AcceptsEmptyAndSixtyFourCharacterUidAndTitle()
    {
        Assert.True(_validator.Validate(new SendMessage("hi", "", "")).IsValid);
        Assert.True(_validator.Validate(new SendMessage("hi", new string('u', 64), new string('t', 64))).IsValid);
    }

    [Fact]
    public void RejectsSixtyFiveCharacterUidUnderTheNameUid()
    {
        var result = _validator.Validate(new SendMessage("hi", new string('u', 65), "T"));

        Assert.Equal("uid", Assert.Single(result.Errors).PropertyName);
    }

    [Fact]
    public void RejectsSixtyFiveCharacterTitleUnderTheNameTitle()
    {
        var result = _validator.Validate(new SendMessage("hi", "u", new string('t', 65)));

        Assert.Equal("title", Assert.Single(result.Errors).PropertyName);
    }

    [Fact]
    public void ReportsEveryBrokenField()
    {
        var result = _validator.Validate(new SendMessage("", new string('u', 65), new string('t', 65)));

        Assert.Equal(["text", "title", "uid"], result.Errors.Select(e => e.PropertyName).Order(StringComparer.Ordinal));
    }
}
