using DitoChat.Application.Abstractions;
using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;

namespace DitoChat.WebApi;

/// <summary>The one place where HTTP turns failures into RFC 9457 problem details.</summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail, errors) = exception switch
        {
            ValidationException e => (StatusCodes.Status400BadRequest, "Invalid request", IncomingMessage.Describe(e),
                e.Errors.GroupBy(f => f.PropertyName).ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).ToArray())),
            StoreUnavailableException e => (StatusCodes.Status503ServiceUnavailable, "Store unavailable", e.Message, null),
            BadHttpRequestException e => (e.StatusCode, "Bad request", e.Message, null),
            _ => (0, "", "", null),
        };
        if (status == 0)
        {
            return false;
        }
        httpContext.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail };
        if (errors is not null)
        {
            problem.Extensions["errors"] = errors;
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }
}
