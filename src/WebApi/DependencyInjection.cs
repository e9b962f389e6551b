using System.Net.WebSockets;
using System.Threading.RateLimiting;
using DitoChat.Application;
using DitoChat.Application.Behaviors;
using DitoChat.Application.Messages;
using DitoChat.Infrastructure;
using DitoChat.Infrastructure.Connections;
using DitoChat.WebApi.Endpoints;
using DitoChat.WebApi.WebSockets;

namespace DitoChat.WebApi;

public static class DependencyInjection
{
    public static IServiceCollection AddWebApiServices(this IServiceCollection services, ChatOptions options)
    {
        services.AddSingleton(options);
        services.AddMediator(mediator =>
        {
            mediator.ServiceLifetime = ServiceLifetime.Singleton;
            mediator.Assemblies = [typeof(SendMessage)];
            mediator.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
        });
        services.AddSingleton<ChatSocketHandler>();
        services.AddSingleton<HistoryResponseCache>();
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ChatJson.Context));
        services.AddOpenApi();
        services.AddHealthChecks();
        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(20));
        services.AddCors(cors => cors.AddPolicy(MessageEndpoints.CorsPolicy, policy =>
        {
            if (options.AnyOrigin)
            {
                policy.SetIsOriginAllowed(_ => true); // Echo the caller's origin rather than "*".
            }
            else if (options.AllowedOrigins is { } origins)
            {
                policy.WithOrigins([.. origins]);
            }
            policy.WithMethods("GET", "POST").WithHeaders("Content-Type");
        }));
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, _) =>
            {
                context.HttpContext.RequestServices.GetRequiredService<ChatMetrics>().CountRejected("rate_limited");
                return new ValueTask(Results.Problem(statusCode: StatusCodes.Status429TooManyRequests,
                    detail: $"More than {options.RateLimitPerSecond} messages per second from this address.")
                    .ExecuteAsync(context.HttpContext));
            };
            limiter.AddPolicy(MessageEndpoints.RateLimitPolicy, http => options.RateLimitPerSecond == 0
                ? RateLimitPartition.GetNoLimiter("")
                : RateLimitPartition.GetTokenBucketLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = 2 * options.RateLimitPerSecond,
                    TokensPerPeriod = options.RateLimitPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                }));
        });
        return services;
    }

    /// <summary>The middleware and endpoints, in order.</summary>
    public static WebApplication UseChat(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseCors();
        app.UseRateLimiter();
        app.UseWebSockets();
        app.MapOpenApi();
        app.MapOperations();
        app.MapMessageApi();
        app.Map("/ws", (HttpContext context, ChatSocketHandler socket) => socket.HandleAsync(context))
            .ExcludeFromDescription();
        var registry = app.Services.GetRequiredService<ConnectionRegistry>();
        app.Lifetime.ApplicationStopping.Register(() => registry.CloseAll(WebSocketCloseStatus.EndpointUnavailable, "server shutting down"));
        return app;
    }
}
