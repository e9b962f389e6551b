using DitoChat.Application.Abstractions;
using FluentValidation;
using Mapster;
using Mediator;

namespace DitoChat.Application.Messages;

/// <summary>Stored messages, newest first: at most <paramref name="Limit"/> (the whole window when null), ids below <paramref name="Before"/>.</summary>
public sealed record GetHistory(int? Limit = null, long? Before = null) : IQuery<IReadOnlyList<ChatMessageDto>>
{
    public const int MaxLimit = 1000;
}

public sealed class GetHistoryValidator : AbstractValidator<GetHistory>
{
    public GetHistoryValidator()
    {
        RuleFor(q => q.Limit).InclusiveBetween(1, GetHistory.MaxLimit)
            .WithMessage($"must be an integer from 1 to {GetHistory.MaxLimit}").OverridePropertyName("limit");
        RuleFor(q => q.Before).GreaterThan(0)
            .WithMessage("must be a positive integer").OverridePropertyName("before");
    }
}

public sealed class GetHistoryHandler(IMessageStore store) : IQueryHandler<GetHistory, IReadOnlyList<ChatMessageDto>>
{
    public async ValueTask<IReadOnlyList<ChatMessageDto>> Handle(GetHistory query, CancellationToken cancellationToken)
    {
        var messages = await store.GetLatestAsync(query.Limit ?? int.MaxValue, query.Before, cancellationToken);
        return messages.Adapt<ChatMessageDto[]>();
    }
}

/// <summary>For <c>/ws?since=</c>: retained messages with ids above <paramref name="Since"/>, oldest first.</summary>
public sealed record GetHistorySince(long Since) : IQuery<IReadOnlyList<ChatMessageDto>>;

public sealed class GetHistorySinceValidator : AbstractValidator<GetHistorySince>
{
    public GetHistorySinceValidator()
    {
        RuleFor(q => q.Since).GreaterThanOrEqualTo(0)
            .WithMessage("must be an integer of 0 or more").OverridePropertyName("since");
    }
}

public sealed class GetHistorySinceHandler(IMessageStore store)
    : IQueryHandler<GetHistorySince, IReadOnlyList<ChatMessageDto>>
{
    public async ValueTask<IReadOnlyList<ChatMessageDto>> Handle(GetHistorySince query, CancellationToken cancellationToken)
    {
        var messages = await store.GetSinceAsync(query.Since, cancellationToken);
        return messages.Adapt<ChatMessageDto[]>();
    }
}
