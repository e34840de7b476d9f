using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace AuthTemplate.Api.Health;

public static class HealthEndpoints
{
    /// <summary>Every probe lives under this path; telemetry leaves them out of the traces.</summary>
    public const string PathPrefix = "/health";

    private const string ReadinessTag = "ready";

    public static IServiceCollection AddHealthEndpoints(this IServiceCollection services)
    {
        // Bounded so that /health/ready answers 503 within seconds when PostgreSQL does not answer at all.
        services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [ReadinessTag], timeout: TimeSpan.FromSeconds(3));
        return services;
    }

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Liveness runs no check: it only says the process serves requests.
        endpoints.MapHealthChecks($"{PathPrefix}/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        endpoints.MapHealthChecks($"{PathPrefix}/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadinessTag) }).AllowAnonymous();
        return endpoints;
    }
}
