using DitoChat.Application.Abstractions;
using DitoChat.Domain;
using FluentValidation;
using Mapster;
using Mediator;

namespace DitoChat.Application.Messages;

/// <summary>A client's message, as parsed from a socket frame or a <c>POST /messages</c> body.</summary>
public sealed record SendMessage(string? Text, string? Uid, string? Title) : ICommand<ChatMessageDto>;

public sealed class SendMessageValidator : AbstractValidator<SendMessage>
{
    public SendMessageValidator()
    {
        RuleFor(m => m.Text)
            .Must(text => !string.IsNullOrWhiteSpace(text)).WithMessage("must not be empty")
            .Must(text => text is null || text.Trim().Length <= ChatMessage.MaxTextLength)
            .WithMessage($"must be at most {ChatMessage.MaxTextLength} characters after trimming")
            .OverridePropertyName("text");
        RuleFor(m => m.Uid)
            .MaximumLength(ChatMessage.MaxUidLength)
            .WithMessage($"must be at most {ChatMessage.MaxUidLength} characters")
            .OverridePropertyName("uid");
        RuleFor(m => m.Title)
            .MaximumLength(ChatMessage.MaxTitleLength)
            .WithMessage($"must be at most {ChatMessage.MaxTitleLength} characters")
            .OverridePropertyName("title");
    }
}

/// <summary>Stamps the server's time, stores the message (which broadcasts it) and returns it as stored.</summary>
public sealed class SendMessageHandler(IMessageStore store, TimeProvider clock, ChatMetrics metrics)
    : ICommandHandler<SendMessage, ChatMessageDto>
{
    public async ValueTask<ChatMessageDto> Handle(SendMessage command, CancellationToken cancellationToken)
    {
        var draft = ChatMessage.Draft(command.Text!, command.Uid, command.Title, clock.GetUtcNow());
        var started = clock.GetTimestamp();
        var stored = await store.AppendAsync(draft, cancellationToken);
        metrics.ObserveStore(clock.GetElapsedTime(started));
        metrics.CountAccepted();
        return stored.Adapt<ChatMessageDto>();
    }
}
