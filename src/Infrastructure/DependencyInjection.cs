using DitoChat.Application.Abstractions;
using DitoChat.Infrastructure.Connections;
using DitoChat.Infrastructure.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace DitoChat.Infrastructure;

public static class DependencyInjection
{
    /// <summary>The connection registry (this process's broadcaster) and the store: Redis when configured, else in memory.</summary>
    public static IServiceCollection AddInfrastructureServices(this IServiceCollection services, StoreOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<IBroadcaster>(sp => sp.GetRequiredService<ConnectionRegistry>());
        services.AddSingleton<IMessageStore, MemoryMessageStore>();
        return services;
    }
}
