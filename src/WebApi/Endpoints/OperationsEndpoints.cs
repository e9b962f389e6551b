using DitoChat.Application;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace DitoChat.WebApi.Endpoints;

/// <summary>Probes and metrics for operators.</summary>
public static class OperationsEndpoints
{
    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        // Live: the process answers. Ready: every registered check (Redis, when configured) passes.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready");
        app.MapGet("/metrics", (ChatMetrics metrics) =>
                Results.Text(metrics.ToPrometheusText(), "text/plain; version=0.0.4; charset=utf-8"))
            .ExcludeFromDescription();
        return app;
    }
}
