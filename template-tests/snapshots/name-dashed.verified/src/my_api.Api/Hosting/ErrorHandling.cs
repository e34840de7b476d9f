using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace my_api.Api.Hosting;

/// <summary>Every error is an RFC 9457 Problem Details document, and none carries internal detail.</summary>
public static class ErrorHandling
{
    public static IServiceCollection AddApiProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            // Bodies stay identical for identical failures (a login must not differ by anything but its cause);
            // the trace id is in the logs.
            context.ProblemDetails.Extensions.Remove("traceId");
            context.ProblemDetails.Type ??= $"https://httpstatuses.io/{context.ProblemDetails.Status}";
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
        return services;
    }

    private sealed class ApiExceptionHandler(IProblemDetailsService problemDetails, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            var (status, title) = exception switch
            {
                BadHttpRequestException badRequest => (badRequest.StatusCode, badRequest.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
                    StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON.",
                    _ => "The request is malformed.",
                }),
                _ when IsDatabaseUnavailable(exception) => (StatusCodes.Status503ServiceUnavailable, "The service is temporarily unavailable."),
                _ when UnstorableText(exception) is not null => (StatusCodes.Status400BadRequest, "The request holds characters that cannot be stored."),
                _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred."),
            };

            if (status >= StatusCodes.Status500InternalServerError)
            {
                logger.LogError(exception, "Request failed with {StatusCode}", status);
            }
            else if (UnstorableText(exception) is { } refused)
            {
                // Client text got past validation as far as PostgreSQL: that validation is the bug to fix. Logged
                // without the exception, whose context may quote the text.
                logger.LogWarning("Request failed with {StatusCode}: PostgreSQL refused its text with {SqlState}", status, refused.SqlState);
            }

            httpContext.Response.StatusCode = status;
            if (status == StatusCodes.Status503ServiceUnavailable)
            {
                httpContext.Response.Headers.RetryAfter = "5";
            }

            return await problemDetails.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                ProblemDetails = { Status = status, Title = title },
            });
        }

        private static bool IsDatabaseUnavailable(Exception exception) =>
            Causes(exception).Any(cause => cause is NpgsqlException { IsTransient: true } or SocketException or TimeoutException);

        /// <summary>
        /// PostgreSQL's refusal of text it cannot store: NUL, which no PostgreSQL text holds, or a character the
        /// database encoding lacks. Only a client sends such text, so it is a bad request, not a server failure.
        /// </summary>
        private static PostgresException? UnstorableText(Exception exception) =>
            Causes(exception).OfType<PostgresException>().FirstOrDefault(cause =>
                cause.SqlState is PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter);

        private static IEnumerable<Exception> Causes(Exception exception)
        {
            for (var current = exception; current is not null; current = current.InnerException)
            {
                yield return current;
            }
        }
    }
}
