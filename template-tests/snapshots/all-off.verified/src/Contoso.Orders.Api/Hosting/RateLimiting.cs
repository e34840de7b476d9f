using System.Globalization;
using System.Threading.RateLimiting;
using Contoso.Orders.Api.Configuration;
using Contoso.Orders.Api.Security;
using Microsoft.Extensions.Options;

namespace Contoso.Orders.Api.Hosting;

public static class RateLimiting
{
    /// <summary>For endpoints that take credentials: a fixed window per client address and endpoint.</summary>
    public const string CredentialsPolicy = "credentials";

    public static IServiceCollection AddCredentialRateLimiting(this IServiceCollection services) =>
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(CredentialsPolicy, httpContext =>
            {
                var settings = httpContext.RequestServices.GetRequiredService<IOptions<RateLimitingSettings>>().Value;
                var client = httpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetFixedWindowLimiter($"{client} {httpContext.Request.Path}", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = settings.PermitLimit,
                    Window = TimeSpan.FromSeconds(settings.WindowSeconds),
                    QueueLimit = 0,
                });
            });
            options.OnRejected = async (context, cancellationToken) =>
            {
                var httpContext = context.HttpContext;
                httpContext.RequestServices.GetRequiredService<SecurityEvents>().RateLimitExceededFor(
                    SecurityEventsRegistration.UserIdOf(httpContext.User), SecurityEventsRegistration.ResourceOf(httpContext));
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }

                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests. Try again later." },
                });
            };
        });
}
