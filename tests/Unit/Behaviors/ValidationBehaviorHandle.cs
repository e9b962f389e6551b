using DitoChat.Application.Behaviors;
using DitoChat.Application.Messages;
using FluentValidation;

namespace DitoChat.UnitTests.Behaviors;

public class ValidationBehaviorHandle
{
    private static readonly ChatMessageDto Stored = new(1, "hi", "u", "T", "2026-12-04T10:00:00.000Z");

    private readonly ValidationBehavior<SendMessage, ChatMessageDto> _behavior = new([new SendMessageValidator()]);
    private int _nextCalls;

    private ValueTask<ChatMessageDto> Next(SendMessage message, CancellationToken cancellationToken)
    {
        _nextCalls++;
        return ValueTask.FromResult(Stored);
    }

    [Fact]
    public async Task ThrowsValidationExceptionAndSkipsTheHandlerForAnInvalidMessage()
    {
        var exception = await Assert.ThrowsAsync<ValidationException>(
            async () => await _behavior.Handle(new SendMessage("   ", "u", "T"), Next, CancellationToken.None));

        Assert.Equal("text", Assert.Single(exception.Errors).PropertyName);
        Assert.Equal(0, _nextCalls);
    }

    [Fact]
    public async Task CallsTheHandlerOnceForAValidMessage()
    {
        var result = await _behavior.Handle(new SendMessage("hi", "u", "T"), Next, CancellationToken.None);

        Assert.Same(Stored, result);
        Assert.Equal(1, _nextCalls);
    }

    [Fact]
    public async Task RunsEveryValidator()
    {
        var rejectAll = new InlineValidator<SendMessage>();
        rejectAll.RuleFor(m => m.Uid).Must(_ => false).WithMessage("refused");
        var behavior = new ValidationBehavior<SendMessage, ChatMessageDto>([new SendMessageValidator(), rejectAll]);

        var exception = await Assert.ThrowsAsync<ValidationException>(
            async () => await behavior.Handle(new SendMessage("hi", "u", "T"), Next, CancellationToken.None));

        Assert.Equal("refused", Assert.Single(exception.Errors).ErrorMessage);
        Assert.Equal(0, _nextCalls);
    }
}
