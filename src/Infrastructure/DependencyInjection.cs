using DitoChat.Application.Abstractions;
using DitoChat.Infrastructure.Connections;
using DitoChat.Infrastructure.Memory;
using DitoChat.Infrastructure.Redis;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace DitoChat.Infrastructure;

public static class DependencyInjection
{
    /// <summary>The connection registry (this process's broadcaster) and the store: Redis when configured, else in memory.</summary>
    public static IServiceCollection AddInfrastructureServices(this IServiceCollection services, StoreOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<IBroadcaster>(sp => sp.GetRequiredService<ConnectionRegistry>());
        if (options.RedisConfiguration is null)
        {
            services.AddSingleton<IMessageStore, MemoryMessageStore>();
            return services;
        }
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(RedisConfiguration(options.RedisConfiguration)));
        services.AddSingleton(new RedisKeys(options.KeyPrefix));
        services.AddSingleton<IMessageStore, RedisMessageStore>();
        services.AddHostedService<RedisSubscriber>();
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        return services;
    }

    /// <summary><c>host:port</c> or a full StackExchange.Redis configuration string (password, ssl, several endpoints).</summary>
    public static ConfigurationOptions RedisConfiguration(string configuration)
    {
        var parsed = ConfigurationOptions.Parse(configuration);
        // Start and keep serving while Redis is away; fail commands at once rather than queueing them.
        parsed.AbortOnConnectFail = false;
        parsed.BacklogPolicy = BacklogPolicy.FailFast;
        parsed.ClientName ??= "ditochat";
        return parsed;
    }
}
