using DitoChat.Application.Messages;

namespace DitoChat.UnitTests.Messages;

public class GetHistoryValidatorValidate
{
    private readonly GetHistoryValidator _validator = new();

    [Theory]
    [InlineData(null, null)]
    [InlineData(1, null)]
    [InlineData(1000, null)]
    [InlineData(null, 1L)]
    [InlineData(50, 7L)]
    public void AcceptsLimitFromOneToAThousandAndPositiveBefore(int? limit, long? before) =>
        Assert.True(_validator.Validate(new GetHistory(limit, before)).IsValid);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public void RejectsLimitOutsideOneToAThousandUnderTheNameLimit(int limit) =>
        Assert.Equal("limit", Assert.Single(_validator.Validate(new GetHistory(limit)).Errors).PropertyName);

    [Theory]
    [InlineData(0L)]
    [InlineData(-5L)]
    public void RejectsBeforeBelowOneUnderTheNameBefore(long before) =>
        Assert.Equal("before", Assert.Single(_validator.Validate(new GetHistory(null, before)).Errors).PropertyName);
}

public class GetHistorySinceValidatorValidate
{
    private readonly GetHistorySinceValidator _validator = new();

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(long.MaxValue)]
    public void AcceptsZeroAndAbove(long since) =>
        Assert.True(_validator.Validate(new GetHistorySince(since)).IsValid);

    [Fact]
    public void RejectsNegativeUnderTheNameSince() =>
        Assert.Equal("since", Assert.Single(_validator.Validate(new GetHistorySince(-1)).Errors).PropertyName);
}
