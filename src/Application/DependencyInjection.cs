using DitoChat.Application.Messages;
using FluentValidation;
using Mapster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DitoChat.Application;

public static class DependencyInjection
{
    /// <summary>Validators, mappings, clock and metrics. The mediator itself is added by the host, where its source generator runs.</summary>
    public static IServiceCollection AddApplicationServices(this IServiceCollection services)
    {
        // Singletons: a socket lives long, and anything it resolves would live as long anyway.
        services.AddValidatorsFromAssemblyContaining<SendMessageValidator>(ServiceLifetime.Singleton);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ChatMetrics>();
        ChatMessageDto.ConfigureMapping(TypeAdapterConfig.GlobalSettings);
        return services;
    }
}
